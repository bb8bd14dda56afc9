drop function if exists api_property(properties);
drop function if exists api_unit(units);
