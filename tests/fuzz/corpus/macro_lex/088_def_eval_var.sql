@DEF(x, 1);

SELECT
  @EVAL(5 + @x) as my_six
FROM tbl