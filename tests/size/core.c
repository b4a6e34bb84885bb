/* core.c -- the library alone, as a bare-metal build compiles it: no OS
   (the caller gives random and clock), assertions off (-DNDEBUG). Its own
   object file, so tests/size/run.sh can tell its bytes from the rest. */
#define WXPAY_NO_OS
#define WXPAY_CLOSE_IMPLEMENTATION
#include "wxpay_close.h"
