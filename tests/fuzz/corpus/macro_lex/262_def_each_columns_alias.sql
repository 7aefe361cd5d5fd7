@DEF(metrics, [revenue, cost]);
SELECT @EACH(@metrics, m -> SUM(m) AS total_@m) FROM sales