/* keeps bulwark_testutil non-empty */
#include "common/compat.h"
extern int bulwark_testutil_empty;
int bulwark_testutil_empty;
