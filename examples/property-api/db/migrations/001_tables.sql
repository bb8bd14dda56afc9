-- The tables of the property API. Everything the server computes is a versioned function
-- over these tables (see ../functions); the server itself only validates, routes and caches.

create table landlords (
  id integer generated always as identity primary key,
  email text not null unique check (length(email) between 3 and 254),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

-- Bearer tokens are stored as SHA-256 digests: a leaked table does not leak tokens.
create table api_tokens (
  token_hash bytea primary key,
  landlord_id integer not null references landlords (id) on delete cascade,
  label text not null default 'default',
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz
);

create index api_tokens_landlord on api_tokens (landlord_id);

create table properties (
  id integer generated always as identity primary key,
  landlord_id integer not null references landlords (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  address text not null check (length(address) between 1 and 500),
  city text not null check (length(city) between 1 and 100),
  postal_code text check (length(postal_code) between 1 and 20),
  kind text not null default 'residential'
    check (kind in ('residential', 'commercial', 'mixed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index properties_landlord on properties (landlord_id, id);

-- Rent is kept in cents as an integer, so sums are exact and both drivers return numbers.
create table units (
  id integer generated always as identity primary key,
  property_id integer not null references properties (id) on delete cascade,
  label text not null check (length(label) between 1 and 100),
  bedrooms integer not null default 0 check (bedrooms between 0 and 50),
  area_sqm numeric(10, 2) check (area_sqm > 0 and area_sqm < 100000),
  rent_cents integer not null check (rent_cents between 0 and 100000000),
  status text not null default 'vacant'
    check (status in ('vacant', 'occupied', 'notice', 'maintenance')),
  tenant_name text check (length(tenant_name) between 1 and 200),
  lease_end date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (property_id, label)
);

create index units_property on units (property_id);
