-- The peer's own baseline: the same read by id, the 12 encrypted columns returned as they are.
\set n random(1, :profiles)
SELECT email, phone, first_name, last_name, birth_date, street_address, city, postal_code, customer_id, card_last4, iban, device_id
FROM profiles WHERE n = :n;
