-- Row-to-JSON helpers shared by the versioned functions. They are part of the schema, not
-- versioned themselves: a change to what an API response contains goes into a new version of
-- the function that builds it, so these only ever gain fields.

create function api_unit(u units) returns jsonb
language sql stable
as $$
  select jsonb_build_object(
    'id', u.id,
    'propertyId', u.property_id,
    'label', u.label,
    'bedrooms', u.bedrooms,
    'areaSqm', u.area_sqm::float8,
    'rentCents', u.rent_cents,
    'status', u.status,
    'tenantName', u.tenant_name,
    'leaseEnd', u.lease_end,
    'createdAt', u.created_at,
    'updatedAt', u.updated_at
  )
$$;

create function api_property(p properties) returns jsonb
language sql stable
as $$
  select jsonb_build_object(
    'id', p.id,
    'name', p.name,
    'address', p.address,
    'city', p.city,
    'postalCode', p.postal_code,
    'kind', p.kind,
    'createdAt', p.created_at,
    'updatedAt', p.updated_at
  ) || (
    select jsonb_build_object(
      'units', count(*)::int,
      'occupiedUnits', (count(*) filter (where u.status in ('occupied', 'notice')))::int,
      'monthlyRentCents',
        coalesce(sum(u.rent_cents) filter (where u.status in ('occupied', 'notice')), 0)
    )
    from units u
    where u.property_id = p.id
  )
$$;
