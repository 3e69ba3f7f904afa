-- Read one profile by id and decrypt its 12 fields (pgbench -M prepared: :key and :n are bind parameters).
\set n random(1, :profiles)
SELECT pgp_sym_decrypt(email, :key), pgp_sym_decrypt(phone, :key), pgp_sym_decrypt(first_name, :key),
       pgp_sym_decrypt(last_name, :key), pgp_sym_decrypt(birth_date, :key), pgp_sym_decrypt(street_address, :key),
       pgp_sym_decrypt(city, :key), pgp_sym_decrypt(postal_code, :key), pgp_sym_decrypt(customer_id, :key),
       pgp_sym_decrypt(card_last4, :key), pgp_sym_decrypt(iban, :key), pgp_sym_decrypt(device_id, :key)
FROM profiles WHERE n = :n;
