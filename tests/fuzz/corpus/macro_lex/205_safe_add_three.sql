SELECT
  @SAFE_ADD(a, b, c)
FROM foo