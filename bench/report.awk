# Turns bench/run.sh's results.tsv into markdown tables.
# Rows: limit|service|half|list|list_half <db> <load> <clients> <per s> <p50> <p99> <errors>;
#       startup|rss_idle|rss_peak|email|bot <db> <value>.
$1 == "limit" { limit[$2 FS $3 FS $4] = $5; lim_lat[$2 FS $3 FS $4] = $6; lim_p99[$2 FS $3 FS $4] = $7; lim_err[$2 FS $3 FS $4] = $8 }
$1 == "service" { key = $2 FS $3 FS $4; order[++n] = key; svc[key] = $5; p50[key] = $6; p99[key] = $7; err[key] = $8 }
$1 == "half" { half[$2] = $5 FS $6 FS $7 FS $8 }
$1 == "list" { list[$2] = $5 FS $6 FS $7 FS $8 }
$1 == "list_half" { list_half[$2] = $5 FS $6 FS $7 FS $8 }
$1 == "startup" || $1 == "rss_idle" || $1 == "rss_peak" || $1 == "email" || $1 == "bot" { other[$1 FS $2] = $3 }
END {
  print "## Claims: the service over HTTP against the database's own limit"
  print ""
  print "| database | needs | clients | limit (tx/s) | limit p50 / avg ms | service (claims/s) | **ratio** | service p50 ms | service p99 ms | errors |"
  print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (i = 1; i <= n; i++) {
    key = order[i]; split(key, k, FS)
    ratio = (limit[key] > 0) ? sprintf("%.0f %%", 100 * svc[key] / limit[key]) : "-"
    printf "| %s | %s | %s | %s | %s | %s | **%s** | %s | %s | %s |\n", k[1], k[2], k[3], limit[key], lim_lat[key], svc[key], ratio, p50[key], p99[key], err[key] + lim_err[key]
  }
  print ""
  print "Limit latency: PostgreSQL's is pgbench's average; SQLite's is the median. Errors: non-2xx answers and socket errors of the service, plus failed transactions of the limit."
  print ""
  print "## Latency at about half the peak, and the API's first page of needs (16 clients)"
  print ""
  print "| what | database | per second | p50 ms | p99 ms | errors |"
  print "|---|---|---:|---:|---:|---:|"
  for (db in half) { split(half[db], h, FS); printf "| claims at ~half peak | %s | %s | %s | %s | %s |\n", db, h[1], h[2], h[3], h[4] }
  for (db in list) { split(list[db], h, FS); printf "| GET /api/v1/needs (first page, 20), flat out | %s | %s | %s | %s | %s |\n", db, h[1], h[2], h[3], h[4] }
  for (db in list_half) { split(list_half[db], h, FS); printf "| GET /api/v1/needs (first page, 20) at ~half its peak | %s | %s | %s | %s | %s |\n", db, h[1], h[2], h[3], h[4] }
  print ""
  print "## Other figures"
  print ""
  print "| figure | database | value |"
  print "|---|---|---:|"
  split("startup rss_idle rss_peak email bot", names, " ")
  split("start-up to /readyz (ms), RSS idle (MB), RSS peak (MB), emails dispatched a second, bot updates handled a second", labels, ", ")
  for (j = 1; j <= 5; j++) for (key in other) { split(key, k, FS); if (k[1] == names[j]) printf "| %s | %s | %s |\n", labels[j], k[2], other[key] }
}
