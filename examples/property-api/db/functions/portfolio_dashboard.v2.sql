-- Version 2 of the dashboard keeps every field of version 1 and adds what a landlord asks
-- next: the rent lost to vacancy, leases about to end, units off the market, and the same
-- figures city by city, with the properties that lose the most rent listed first.
create function portfolio_dashboard(p_landlord integer) returns jsonb
language sql stable
as $$
  with mine as (
    select u.*, p.city, p.name as property_name from units u
    join properties p on p.id = u.property_id
    where p.landlord_id = p_landlord
  ),
  totals as (
    select
      count(*) as units,
      count(*) filter (where status in ('occupied', 'notice')) as let,
      count(*) filter (where status = 'vacant') as vacant,
      count(*) filter (where status = 'notice') as on_notice,
      count(*) filter (where status = 'maintenance') as maintenance,
      coalesce(sum(rent_cents) filter (where status in ('occupied', 'notice')), 0) as roll,
      coalesce(sum(rent_cents), 0) as potential,
      count(*) filter (
        where lease_end is not null and lease_end between current_date and current_date + 60
      ) as ending
    from mine
  )
  select jsonb_build_object(
    'properties', (select count(*) from properties where landlord_id = p_landlord),
    'units', t.units,
    'occupiedUnits', t.let,
    'vacantUnits', t.vacant,
    'unitsOnNotice', t.on_notice,
    'unitsInMaintenance', t.maintenance,
    'occupancyRate', coalesce(round(t.let::numeric / nullif(t.units, 0), 4), 0)::float8,
    'rentRollCents', t.roll,
    'potentialRentCents', t.potential,
    'vacancyLossCents', t.potential - t.roll,
    'averageRentCents', coalesce(round(t.roll::numeric / nullif(t.let, 0)), 0)::bigint,
    'leasesEndingWithin60Days', t.ending,
    'byCity', coalesce((
      select jsonb_agg(c order by c ->> 'city')
      from (
        select jsonb_build_object(
          'city', city,
          'units', count(*),
          'occupiedUnits', count(*) filter (where status in ('occupied', 'notice')),
          'rentRollCents',
            coalesce(sum(rent_cents) filter (where status in ('occupied', 'notice')), 0)
        ) as c
        from mine group by city
      ) cities
    ), '[]'::jsonb),
    'largestVacancyLosses', coalesce((
      select jsonb_agg(v order by (v ->> 'vacancyLossCents')::bigint desc, v ->> 'propertyId')
      from (
        select jsonb_build_object(
          'propertyId', property_id,
          'name', property_name,
          'vacantUnits', count(*),
          'vacancyLossCents', sum(rent_cents)
        ) as v
        from mine where status = 'vacant'
        group by property_id, property_name
        order by sum(rent_cents) desc, property_id
        limit 5
      ) losses
    ), '[]'::jsonb)
  )
  from totals t
$$;
