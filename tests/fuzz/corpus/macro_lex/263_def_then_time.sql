@DEF(day, @start_ds);
SELECT * FROM events WHERE ds = @day