/*
 * The benchmark's baseline: the fastest honest FastCGI responder this
 * architecture allows, in C on libfcgi, so `make bench` can say how close
 * taskr gets to the ceiling in the same run on the same machine.
 *
 *   baseline hello  SOCKET THREADS PAGE_BYTES            a fixed page of PAGE_BYTES
 *   baseline sqlite SOCKET THREADS PAGE_BYTES DATABASE   one SQLite primary-key
 *                                     read per request (a session check), then
 *                                     the page
 *   baseline postgres SOCKET THREADS PAGE_BYTES CONNINFO  the same read on
 *                                     PostgreSQL: one connection per thread, one
 *                                     prepared statement, binary parameter and
 *                                     results (PQexecPrepared), then the page
 *
 * Each thread owns an FCGX_Request and loops on FCGX_Accept_r, as in
 * libfcgi's examples/threaded.c. SIGTERM ends the process; it is a baseline,
 * not a server to deploy.
 */
#include <fcgiapp.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_fd;
static char *page;
static size_t page_length;
static char head[256];
static int head_length;
static const char *database_path;
static const char *conninfo;

/* libfcgi's own printf knows no %zu: the header is formatted once, here. */
static void respond(FCGX_Request *request) {
    FCGX_PutStr(head, head_length, request->out);
    FCGX_PutStr(page, (int)page_length, request->out);
}

static void *hello(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (FCGX_Accept_r(&request) == 0) {
        respond(&request);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

static void *session_check(void *unused) {
    (void)unused;
    sqlite3 *db;
    sqlite3_stmt *statement;
    /* The busy timeout before the first statement: several baselines open
       the file at once, and the first reader of a WAL file sets up its index. */
    if (sqlite3_open_v2(database_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_prepare_v3(db, "SELECT user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = ?",
                           -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL) != SQLITE_OK) {
        fprintf(stderr, "baseline: cannot open %s: %s\n", database_path, sqlite3_errmsg(db));
        exit(1);
    }
    unsigned char key[32];
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (FCGX_Accept_r(&request) == 0) {
        /* Like taskr: hash of the cookie's token is the key. Here a fixed key. */
        memset(key, 0x42, sizeof key);
        sqlite3_bind_blob(statement, 1, key, sizeof key, SQLITE_STATIC);
        int found = sqlite3_step(statement) == SQLITE_ROW;
        sqlite3_reset(statement);
        respond(&request);
        (void)found;
        FCGX_Finish_r(&request);
    }
    return NULL;
}

static void *postgres_session_check(void *unused) {
    (void)unused;
    PGconn *connection = PQconnectdb(conninfo);
    if (PQstatus(connection) != CONNECTION_OK) {
        fprintf(stderr, "baseline: cannot connect: %s\n", PQerrorMessage(connection));
        exit(1);
    }
    PGresult *prepared = PQprepare(connection, "session",
                                   "SELECT user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = $1", 1, NULL);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
        fprintf(stderr, "baseline: cannot prepare: %s\n", PQerrorMessage(connection));
        exit(1);
    }
    PQclear(prepared);
    char key[32];
    const char *values[1] = {key};
    const int lengths[1] = {sizeof key};
    const int formats[1] = {1};
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (FCGX_Accept_r(&request) == 0) {
        memset(key, 0x42, sizeof key);
        PGresult *result = PQexecPrepared(connection, "session", 1, values, lengths, formats, 1);
        int found = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
        PQclear(result);
        respond(&request);
        (void)found;
        FCGX_Finish_r(&request);
    }
    PQfinish(connection);
    return NULL;
}

static int bind_unix(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 1024) != 0) {
        perror("baseline: bind");
        exit(1);
    }
    chmod(path, 0666);
    return fd;
}

int main(int argc, char **argv) {
    int is_hello = argc == 5 && strcmp(argv[1], "hello") == 0;
    int is_sqlite = argc == 6 && strcmp(argv[1], "sqlite") == 0;
    int is_postgres = argc == 6 && strcmp(argv[1], "postgres") == 0;
    if (!is_hello && !is_sqlite && !is_postgres) {
        fprintf(stderr, "usage: baseline hello SOCKET THREADS PAGE_BYTES | baseline sqlite SOCKET THREADS PAGE_BYTES DATABASE"
                        " | baseline postgres SOCKET THREADS PAGE_BYTES CONNINFO\n");
        return 2;
    }
    int threads = atoi(argv[3]);
    page_length = (size_t)atoi(argv[4]);
    page = malloc(page_length);
    memset(page, 'x', page_length);
    head_length = snprintf(head, sizeof head,
                           "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n\r\n",
                           page_length);
    database_path = is_sqlite ? argv[5] : NULL;
    conninfo = is_postgres ? argv[5] : NULL;
    FCGX_Init();
    listen_fd = bind_unix(argv[2]);
    pthread_t ids[256];
    for (int i = 0; i < threads && i < 256; i++)
        pthread_create(&ids[i], NULL, is_hello ? hello : is_sqlite ? session_check : postgres_session_check, NULL);
    for (int i = 0; i < threads && i < 256; i++)
        pthread_join(ids[i], NULL);
    return 0;
}
