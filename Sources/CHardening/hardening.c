#include "CHardening.h"
#ifdef __linux__
#include <sys/prctl.h>
#endif

int pv_disable_dumpable(void) {
#ifdef __linux__
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#else
    return 0;
#endif
}
