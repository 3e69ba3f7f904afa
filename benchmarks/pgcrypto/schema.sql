-- The homemade vault: one row per person, every personal field pgp_sym_encrypt'ed with one
-- passphrase (pgcrypto's defaults: AES-128, iterated+salted S2K), read back by id.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE profiles (
    n serial UNIQUE, id uuid PRIMARY KEY,
    email bytea, phone bytea, first_name bytea, last_name bytea, birth_date bytea, street_address bytea,
    city bytea, postal_code bytea, customer_id bytea, card_last4 bytea, iban bytea, device_id bytea);
