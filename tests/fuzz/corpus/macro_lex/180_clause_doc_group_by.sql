SELECT *
FROM all_cities
@GROUP_BY(True) city_id