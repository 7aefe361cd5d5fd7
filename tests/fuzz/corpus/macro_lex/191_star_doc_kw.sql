SELECT
  @STAR(foo, bar, exclude := [c, d], prefix := 'ab_pre_'),
  @STAR(foo, bar, exclude := [a, b, c], prefix := 'd_pre_'),
  my_column
FROM foo AS bar