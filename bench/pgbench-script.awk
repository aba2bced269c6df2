# Turns the statements one request ran, as PostgreSQL's statement log shows them
# (log_statement = all: "LOG:  execute NAME: SQL" then "DETAIL:  parameters: $1 = '...', ..."),
# into a pgbench script that runs the same SQL text: each parameter becomes a pgbench variable
# sNpK whose value (the one the service sent) goes to the file `defs` as "sNpK=value" for
# pgbench -D; a NULL parameter becomes the literal NULL (pgbench cannot bind a NULL); a
# parameter equal to `id` becomes md5(:n::text)::uuid, the id of recommendation n in
# bench/dataset.sql, for a random n.
#   awk -v id=UUID -v defs=FILE -f bench/pgbench-script.awk LOG > SCRIPT

function flush(    rest, item, num, val, v, name, rep, k, maxn, repl) {
    if (!pending)
        return
    maxn = 0
    rest = params
    while (match(rest, /\$[0-9]+ = (NULL|'([^']|'')*')/)) {
        item = substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
        num = item
        sub(/ = .*/, "", num)
        sub(/^\$/, "", num)
        val = item
        sub(/^\$[0-9]+ = /, "", val)
        if (val == "NULL") {
            rep = "NULL"
        } else {
            v = substr(val, 2, length(val) - 2)
            gsub(/''/, "'", v)
            if (v == id) {
                rep = "md5(:n::text)::uuid"
            } else {
                name = "s" nstmt "p" num
                print name "=" v > defs
                rep = ":" name
            }
        }
        repl[num + 0] = rep
        if (num + 0 > maxn)
            maxn = num + 0
    }
    # the highest first, so that $1 never eats the start of $12
    for (k = maxn; k >= 1; k--)
        if (k in repl)
            gsub("\\$" k, repl[k], sql)
    print sql ";"
    pending = 0
    params = ""
}

BEGIN {
    nstmt = 0
    pending = 0
    printf "" > defs
}

/ LOG:  execute [^:]*: / {
    flush()
    sql = $0
    sub(/^.* LOG:  execute [^:]*: /, "", sql)
    nstmt++
    pending = 1
    next
}

/ LOG:  statement: / {
    flush()
    sql = $0
    sub(/^.* LOG:  statement: /, "", sql)
    nstmt++
    pending = 1
    next
}

/ DETAIL:  parameters: / {
    if (pending) {
        params = $0
        sub(/^.* DETAIL:  parameters: /, "", params)
    }
    next
}

END {
    flush()
}
