-- Version 2 takes a lock first: servers starting together on an empty database each saw no
-- landlord under version 1 and inserted the same ones, and all but one failed to start.
--
-- Puts demo landlords, their tokens, properties and units in an empty database and returns
-- the demo accounts with their tokens. Does nothing but return them when any landlord
-- exists, so a restart never duplicates or overwrites data.
create function seed_demo_data() returns table (email text, name text, token text)
language plpgsql volatile
as $$
declare
  v_alice integer;
  v_bob integer;
  v_property integer;
begin
  -- The second server waits here, then sees the first one's rows.
  perform pg_advisory_xact_lock(hashtext('property-api:seed_demo_data'));

  if not exists (select 1 from landlords) then
    insert into landlords (email, name) values ('alice@example.com', 'Alice Moreau')
      returning id into v_alice;
    insert into landlords (email, name) values ('bob@example.com', 'Bob Okafor')
      returning id into v_bob;
    insert into api_tokens (token_hash, landlord_id, label) values
      (sha256(convert_to('demo-alice-token', 'UTF8')), v_alice, 'demo'),
      (sha256(convert_to('demo-bob-token', 'UTF8')), v_bob, 'demo');

    insert into properties (landlord_id, name, address, city, postal_code, kind)
      values (v_alice, 'Rua das Flores 12', 'Rua das Flores 12', 'Lisbon', '1200-195',
              'residential')
      returning id into v_property;
    insert into units (property_id, label, bedrooms, area_sqm, rent_cents, status,
                       tenant_name, lease_end) values
      (v_property, '1A', 1, 48, 95000, 'occupied', 'J. Silva', current_date + 200),
      (v_property, '1B', 2, 71, 130000, 'notice', 'M. Costa', current_date + 30),
      (v_property, '2A', 2, 70, 128000, 'vacant', null, null);

    insert into properties (landlord_id, name, address, city, postal_code, kind)
      values (v_alice, 'Canal Works', 'Prinsengracht 301', 'Amsterdam', '1016 GW', 'mixed')
      returning id into v_property;
    insert into units (property_id, label, bedrooms, area_sqm, rent_cents, status,
                       tenant_name, lease_end) values
      (v_property, 'Shop', 0, 120, 420000, 'occupied', 'Bakkerij Noord', current_date + 700),
      (v_property, 'Loft', 1, 65, 210000, 'maintenance', null, null);

    insert into properties (landlord_id, name, address, city, postal_code, kind)
      values (v_bob, 'Harbour View', '8 Quay Street', 'Bristol', 'BS1 4DJ', 'residential')
      returning id into v_property;
    insert into units (property_id, label, bedrooms, area_sqm, rent_cents, status,
                       tenant_name, lease_end) values
      (v_property, 'Flat 1', 2, 64, 145000, 'occupied', 'R. Patel', current_date + 120),
      (v_property, 'Flat 2', 3, 88, 185000, 'vacant', null, null);
  end if;

  return query values
    ('alice@example.com'::text, 'Alice Moreau'::text, 'demo-alice-token'::text),
    ('bob@example.com', 'Bob Okafor', 'demo-bob-token');
end
$$;
