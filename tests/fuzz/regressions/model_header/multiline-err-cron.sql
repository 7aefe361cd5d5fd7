MODEL (
  name a.b,
  cron '@dai
ly'
);
SELECT 1
