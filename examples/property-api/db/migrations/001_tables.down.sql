drop table if exists units;
drop table if exists properties;
drop table if exists api_tokens;
drop table if exists landlords;
