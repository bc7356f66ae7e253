#ifndef TASKR_CFASTCGI_SHIM_H
#define TASKR_CFASTCGI_SHIM_H

#include <fcgiapp.h>

#endif
