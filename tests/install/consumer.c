/* A downstream program built against an installed tensorpool (CMake package and pkg-config). */
#include <stdio.h>
#include <string.h>

#include <tensorpool/tp_error.h>
#include <tensorpool/tensorpool.h>

#include "shm_tensorpool_control/frameDescriptor.h"

int main(void)
{
    if (36 != shm_tensorpool_control_frameDescriptor_sbe_block_length())
    {
        fprintf(stderr, "installed codecs have the wrong FrameDescriptor block length\n");
        return 1;
    }
    if (0 != strcmp("TP_ERR_URI", tp_errcode_name(TP_ERR_URI)))
    {
        fprintf(stderr, "libtensorpool did not link\n");
        return 1;
    }
    printf("installed tensorpool works\n");
    return 0;
}
