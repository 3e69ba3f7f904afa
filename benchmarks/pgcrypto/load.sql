INSERT INTO profiles (id, email, phone, first_name, last_name, birth_date, street_address, city, postal_code,
                      customer_id, card_last4, iban, device_id)
SELECT gen_random_uuid(),
       pgp_sym_encrypt('person' || i || '.' || substr(md5(i::text), 1, 6) || '@example.com', :'key'),
       pgp_sym_encrypt('+1415' || lpad((i % 10000000)::text, 7, '0'), :'key'),
       pgp_sym_encrypt(initcap(substr(md5('f' || i), 1, 7)), :'key'),
       pgp_sym_encrypt(initcap(substr(md5('l' || i), 1, 9)), :'key'),
       pgp_sym_encrypt((date '1950-01-01' + (i % 20000))::text, :'key'),
       pgp_sym_encrypt((i % 900 + 1) || ' ' || initcap(substr(md5('s' || i), 1, 8)) || ' Street', :'key'),
       pgp_sym_encrypt(initcap(substr(md5('c' || i), 1, 8)), :'key'),
       pgp_sym_encrypt(lpad((i % 99999)::text, 5, '0'), :'key'),
       pgp_sym_encrypt('C-' || i, :'key'),
       pgp_sym_encrypt(lpad((i % 10000)::text, 4, '0'), :'key'),
       pgp_sym_encrypt('DE89' || lpad(i::text, 18, '0'), :'key'),
       pgp_sym_encrypt('dev-' || substr(md5('d' || i), 1, 12), :'key')
FROM generate_series(1, :n) AS i;
