import COpenSSL

/// `OPENSSL_cleanse`: a memset the compiler can't drop.
func cleanse(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
    OPENSSL_cleanse(pointer, count)
}
