#ifndef TASKR_CLIBPQ_SHIM_H
#define TASKR_CLIBPQ_SHIM_H

/* libpq from Debian's libpq-dev (pkg-config libpq puts this folder on the
   include path). Nothing to wrap: libpq has no variadic calls. */
#include <libpq-fe.h>

#endif
