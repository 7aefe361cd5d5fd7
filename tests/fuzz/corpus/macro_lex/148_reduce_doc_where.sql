SELECT
  my_column
FROM
  tbl
WHERE
  @REDUCE(
    @EACH([col1, col2, col3], x -> x = 1),
    (x, y) -> x AND y
  )