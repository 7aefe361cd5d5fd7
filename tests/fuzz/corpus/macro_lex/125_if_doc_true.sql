SELECT
  col1,
  @IF(1 > 0, sensitive_col)
FROM tbl