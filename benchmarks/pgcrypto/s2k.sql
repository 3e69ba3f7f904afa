-- What pgp_sym_encrypt's defaults chose, read from the first packet of each value (RFC 4880
-- 5.3, new-format header): byte 3 cipher, byte 4 S2K mode (3 = iterated+salted), byte 5 digest,
-- bytes 6-13 salt, byte 14 the coded count of bytes hashed, (16 + (c & 15)) << ((c >> 4) + 6).
SELECT CASE min(get_byte(email, 3)) WHEN 7 THEN 'AES-128' WHEN 8 THEN 'AES-192' WHEN 9 THEN 'AES-256'
                                     ELSE 'algo-' || min(get_byte(email, 3)) END,
       CASE min(get_byte(email, 5)) WHEN 2 THEN 'SHA-1' WHEN 1 THEN 'MD5' WHEN 8 THEN 'SHA-256'
                                     ELSE 'digest-' || min(get_byte(email, 5)) END,
       min((16 + (get_byte(email, 14) & 15)) << ((get_byte(email, 14) >> 4) + 6)),
       max((16 + (get_byte(email, 14) & 15)) << ((get_byte(email, 14) >> 4) + 6))
FROM profiles WHERE get_byte(email, 0) = 195 AND get_byte(email, 4) = 3;
