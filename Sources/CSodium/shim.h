#ifndef TASKR_CSODIUM_SHIM_H
#define TASKR_CSODIUM_SHIM_H

#include <sodium.h>

#endif
