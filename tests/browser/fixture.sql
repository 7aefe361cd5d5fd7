-- fixture.sql — a serving.duckdb built straight from the sample PSD CSV, following
-- docs/ARCHITECTURE.md §3 table by table. Used by the browser tests only when the real
-- pipeline (`materia pipeline run all`) is not available in this build. The test helper
-- replaces @CSV@ with the path of the unzipped psd_coffee.csv and @RELEASE@ with its date.
CREATE TABLE psd AS
SELECT Country_Code AS country_code, Country_Name AS country_name,
       CAST(Market_Year AS INTEGER) AS market_year,
       lower(regexp_replace(regexp_replace(trim(Attribute_Description), '[^A-Za-z0-9]+', '_', 'g'), '_+$', '')) AS attribute,
       CAST(Value AS DOUBLE) AS value
FROM read_csv('@CSV@', all_varchar = true, header = true);
CREATE TABLE countries (country_code VARCHAR, country_name VARCHAR, iso2 VARCHAR, iso3 VARCHAR,
                        iso_numeric VARCHAR, region VARCHAR);
INSERT INTO countries VALUES
 ('AG','Algeria','DZ','DZA','012','Africa'),('AO','Angola','AO','AGO','024','Africa'),
 ('AR','Argentina','AR','ARG','032','South America'),('AS','Australia','AU','AUS','036','Oceania'),
 ('BL','Bolivia','BO','BOL','068','South America'),('BR','Brazil','BR','BRA','076','South America'),
 ('BY','Burundi','BI','BDI','108','Africa'),('CA','Canada','CA','CAN','124','North America'),
 ('CE','Sri Lanka','LK','LKA','144','Asia'),('CF','Congo (Brazzaville)','CG','COG','178','Africa'),
 ('CG','Congo (Kinshasa)','CD','COD','180','Africa'),('CH','China','CN','CHN','156','Asia'),
 ('CI','Chile','CL','CHL','152','South America'),('CM','Cameroon','CM','CMR','120','Africa'),
 ('CO','Colombia','CO','COL','170','South America'),('CS','Costa Rica','CR','CRI','188','Central America'),
 ('CT','Central African Republic','CF','CAF','140','Africa'),('CU','Cuba','CU','CUB','192','Caribbean'),
 ('DM','Benin','BJ','BEN','204','Africa'),('DR','Dominican Republic','DO','DOM','214','Caribbean'),
 ('E4','European Union',NULL,NULL,NULL,'Europe'),('EC','Ecuador','EC','ECU','218','South America'),
 ('EG','Egypt','EG','EGY','818','Africa'),('EK','Equatorial Guinea','GQ','GNQ','226','Africa'),
 ('ES','El Salvador','SV','SLV','222','Central America'),('ET','Ethiopia','ET','ETH','231','Africa'),
 ('GB','Gabon','GA','GAB','266','Africa'),('GH','Ghana','GH','GHA','288','Africa'),
 ('GT','Guatemala','GT','GTM','320','Central America'),('GU','Guinea','GN','GIN','324','Africa'),
 ('GY','Guyana','GY','GUY','328','South America'),('HA','Haiti','HT','HTI','332','Caribbean'),
 ('HO','Honduras','HN','HND','340','Central America'),('HR','Croatia','HR','HRV','191','Europe'),
 ('ID','Indonesia','ID','IDN','360','Asia'),('IN','India','IN','IND','356','Asia'),
 ('IR','Iran','IR','IRN','364','Middle East'),('IV','Cote d''Ivoire','CI','CIV','384','Africa'),
 ('JA','Japan','JP','JPN','392','Asia'),('JM','Jamaica','JM','JAM','388','Caribbean'),
 ('JO','Jordan','JO','JOR','400','Middle East'),('KE','Kenya','KE','KEN','404','Africa'),
 ('KS','Korea, South','KR','KOR','410','Asia'),('KZ','Kazakhstan','KZ','KAZ','398','Asia'),
 ('LA','Laos','LA','LAO','418','Asia'),('LI','Liberia','LR','LBR','430','Africa'),
 ('MA','Madagascar','MG','MDG','450','Africa'),('MI','Malawi','MW','MWI','454','Africa'),
 ('MO','Morocco','MA','MAR','504','Africa'),('MX','Mexico','MX','MEX','484','North America'),
 ('MY','Malaysia','MY','MYS','458','Asia'),('NC','New Caledonia','NC','NCL','540','Oceania'),
 ('NI','Nigeria','NG','NGA','566','Africa'),('NO','Norway','NO','NOR','578','Europe'),
 ('NU','Nicaragua','NI','NIC','558','Central America'),('NZ','New Zealand','NZ','NZL','554','Oceania'),
 ('PA','Paraguay','PY','PRY','600','South America'),('PE','Peru','PE','PER','604','South America'),
 ('PN','Panama','PA','PAN','591','Central America'),('PP','Papua New Guinea','PG','PNG','598','Oceania'),
 ('RB','Serbia','RS','SRB','688','Europe'),('RH','Zimbabwe','ZW','ZWE','716','Africa'),
 ('RP','Philippines','PH','PHL','608','Asia'),('RS','Russia','RU','RUS','643','Europe'),
 ('RW','Rwanda','RW','RWA','646','Africa'),('SA','Saudi Arabia','SA','SAU','682','Middle East'),
 ('SF','South Africa','ZA','ZAF','710','Africa'),('SL','Sierra Leone','SL','SLE','694','Africa'),
 ('SN','Singapore','SG','SGP','702','Asia'),('SZ','Switzerland','CH','CHE','756','Europe'),
 ('TD','Trinidad and Tobago','TT','TTO','780','Caribbean'),('TH','Thailand','TH','THA','764','Asia'),
 ('TO','Togo','TG','TGO','768','Africa'),('TU','Turkey','TR','TUR','792','Middle East'),
 ('TW','Taiwan','TW','TWN','158','Asia'),('TZ','Tanzania','TZ','TZA','834','Africa'),
 ('UG','Uganda','UG','UGA','800','Africa'),('UK','United Kingdom','GB','GBR','826','Europe'),
 ('UP','Ukraine','UA','UKR','804','Europe'),('US','United States','US','USA','840','North America'),
 ('VE','Venezuela','VE','VEN','862','South America'),('VM','Vietnam','VN','VNM','704','Asia'),
 ('YE','Yemen (Sanaa)',NULL,NULL,NULL,'Middle East'),('YM','Yemen','YE','YEM','887','Middle East'),
 ('ZA','Zambia','ZM','ZMB','894','Africa');
CREATE TABLE coffee_balance AS
WITH p AS (
  SELECT country_code, any_value(country_name) AS country_name, market_year,
    sum(value) FILTER (attribute = 'production') AS production,
    sum(value) FILTER (attribute = 'arabica_production') AS arabica_production,
    sum(value) FILTER (attribute = 'robusta_production') AS robusta_production,
    sum(value) FILTER (attribute = 'other_production') AS other_production,
    sum(value) FILTER (attribute = 'beginning_stocks') AS beginning_stocks,
    sum(value) FILTER (attribute = 'imports') AS imports,
    sum(value) FILTER (attribute = 'bean_imports') AS bean_imports,
    sum(value) FILTER (attribute = 'exports') AS exports,
    sum(value) FILTER (attribute = 'bean_exports') AS bean_exports,
    sum(value) FILTER (attribute = 'domestic_consumption') AS domestic_consumption,
    sum(value) FILTER (attribute = 'ending_stocks') AS ending_stocks,
    sum(value) FILTER (attribute = 'total_supply') AS total_supply,
    sum(value) FILTER (attribute = 'total_distribution') AS total_distribution
  FROM psd GROUP BY country_code, market_year)
SELECT p.country_code, p.country_name, c.iso3, c.region, p.market_year, production,
  arabica_production, robusta_production, other_production, beginning_stocks, imports,
  bean_imports, exports, bean_exports, domestic_consumption, ending_stocks, total_supply,
  total_distribution,
  CASE WHEN coalesce(domestic_consumption, 0) + coalesce(exports, 0) = 0 THEN NULL
       ELSE 100.0 * ending_stocks / (coalesce(domestic_consumption, 0) + coalesce(exports, 0)) END AS stocks_to_use_pct,
  DATE '@RELEASE@' AS release_date
FROM p LEFT JOIN countries c USING (country_code);
CREATE TABLE world_balance AS
SELECT market_year, sum(production) AS production, sum(arabica_production) AS arabica_production,
  sum(robusta_production) AS robusta_production, sum(other_production) AS other_production,
  sum(beginning_stocks) AS beginning_stocks, sum(imports) AS imports, sum(bean_imports) AS bean_imports,
  sum(exports) AS exports, sum(bean_exports) AS bean_exports,
  sum(domestic_consumption) AS domestic_consumption, sum(ending_stocks) AS ending_stocks,
  sum(total_supply) AS total_supply, sum(total_distribution) AS total_distribution,
  CASE WHEN sum(domestic_consumption) + sum(exports) = 0 THEN NULL
       ELSE 100.0 * sum(ending_stocks) / (sum(domestic_consumption) + sum(exports)) END AS stocks_to_use_pct,
  count(*) AS reporting_countries, DATE '@RELEASE@' AS release_date
FROM coffee_balance GROUP BY market_year;
CREATE TABLE psd_revisions AS
SELECT country_code, any_value(country_name) AS country_name, market_year, attribute,
  DATE '@RELEASE@' AS release_date, sum(value) AS value, CAST(NULL AS DOUBLE) AS previous_value,
  CAST(NULL AS DOUBLE) AS change
FROM psd GROUP BY country_code, market_year, attribute;
CREATE TABLE releases AS
SELECT DATE '@RELEASE@' AS release_date, 'fixture' AS etag, 'psd_coffee.csv' AS file,
  (SELECT count(*) FROM psd) AS "rows", TIMESTAMP '@RELEASE@ 12:00:00' AS landed_at;
CREATE TABLE _snapshot AS
SELECT 'fixture-' || CAST(epoch_ms(now()) AS VARCHAR) AS snapshot_id, now()::TIMESTAMP AS created_at,
  'fixture' AS run_id, t AS table_name, 0::BIGINT AS row_count, '' AS checksum
FROM (VALUES ('coffee_balance'), ('world_balance'), ('psd_revisions'), ('releases'), ('countries')) v(t);
DROP TABLE psd;
