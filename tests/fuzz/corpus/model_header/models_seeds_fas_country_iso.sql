/* seeds.fas_country_iso — FAS country code -> ISO 3166-1 alpha-2/alpha-3/numeric + region.
 * The CSV and its provenance/conventions: seeds/fas_country_iso.csv, seeds/README.md.
 * The path is relative to this file, as in SQLMesh. */
MODEL (
  name seeds.fas_country_iso,
  kind SEED (
    path '../../seeds/fas_country_iso.csv'
  ),
  grain (country_code),
  audits (
    not_null(columns := (country_code, iso2, iso3, region)),
    unique_values(columns := (country_code))
  ),
  description 'FAS/PSD country codes mapped to ISO 3166-1 codes and a region, for maps.'
);
