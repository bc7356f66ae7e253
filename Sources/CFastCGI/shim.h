#ifndef TASKR_CFASTCGI_SHIM_H
#define TASKR_CFASTCGI_SHIM_H

#include <fcgiapp.h>
/* The FastCGI workers wait on epoll (Glibc's Swift module leaves it out). */
#include <sys/epoll.h>

#endif
