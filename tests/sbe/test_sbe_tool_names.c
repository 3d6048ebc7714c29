/*
 * Programs written against sbe-tool's C output compile against our headers: the composite member ids and the
 * var-data element limits that sbe-tool emits for messageHeader, groupSizeEncoding and the var-data composites
 * of the wire (900), driver (901) and discovery (910) schemas (38 names). sbe-tool gives composite members no
 * schema id: their _id() is -1 returned as uint16_t. varData is one uint8 element: limits 0..254, null 255.
 */
#include "sbe_test_util.h"

#include "shm_tensorpool_control/groupSizeEncoding.h"
#include "shm_tensorpool_control/messageHeader.h"
#include "shm_tensorpool_control/varAsciiEncoding.h"
#include "shm_tensorpool_control/varDataEncoding.h"
#include "shm_tensorpool_discovery/groupSizeEncoding.h"
#include "shm_tensorpool_discovery/messageHeader.h"
#include "shm_tensorpool_discovery/varAsciiEncoding.h"
#include "shm_tensorpool_driver/groupSizeEncoding.h"
#include "shm_tensorpool_driver/messageHeader.h"
#include "shm_tensorpool_driver/varAsciiEncoding.h"

#define CTL(x) shm_tensorpool_control_##x
#define DRV(x) shm_tensorpool_driver_##x
#define DSC(x) shm_tensorpool_discovery_##x

/* The id type must be uint16_t, as in sbe-tool: storing it in one keeps the value 65535. */
#define ASSERT_NO_ID(fn)                                  \
    do                                                    \
    {                                                     \
        const uint16_t id_ = fn();                        \
        assert_int_equal(UINT16_MAX, id_);                \
        assert_int_equal(sizeof(uint16_t), sizeof(fn())); \
    } while (0)

#define ASSERT_VARDATA_LIMITS(min_fn, max_fn, null_fn)       \
    do                                                       \
    {                                                        \
        assert_int_equal(sizeof(uint8_t), sizeof(min_fn())); \
        assert_int_equal(0, min_fn());                       \
        assert_int_equal(254, max_fn());                     \
        assert_int_equal(255, null_fn());                    \
    } while (0)

static void test_message_header_member_ids(void **state)
{
    ASSERT_NO_ID(CTL(messageHeader_blockLength_id));
    ASSERT_NO_ID(CTL(messageHeader_templateId_id));
    ASSERT_NO_ID(CTL(messageHeader_schemaId_id));
    ASSERT_NO_ID(CTL(messageHeader_version_id));
    ASSERT_NO_ID(DRV(messageHeader_blockLength_id));
    ASSERT_NO_ID(DRV(messageHeader_templateId_id));
    ASSERT_NO_ID(DRV(messageHeader_schemaId_id));
    ASSERT_NO_ID(DRV(messageHeader_version_id));
    ASSERT_NO_ID(DSC(messageHeader_blockLength_id));
    ASSERT_NO_ID(DSC(messageHeader_templateId_id));
    ASSERT_NO_ID(DSC(messageHeader_schemaId_id));
    ASSERT_NO_ID(DSC(messageHeader_version_id));
}

static void test_group_size_member_ids(void **state)
{
    ASSERT_NO_ID(CTL(groupSizeEncoding_blockLength_id));
    ASSERT_NO_ID(CTL(groupSizeEncoding_numInGroup_id));
    ASSERT_NO_ID(DRV(groupSizeEncoding_blockLength_id));
    ASSERT_NO_ID(DRV(groupSizeEncoding_numInGroup_id));
    ASSERT_NO_ID(DSC(groupSizeEncoding_blockLength_id));
    ASSERT_NO_ID(DSC(groupSizeEncoding_numInGroup_id));
}

static void test_var_data_member_ids_and_limits(void **state)
{
    ASSERT_NO_ID(CTL(varAsciiEncoding_length_id));
    ASSERT_NO_ID(CTL(varAsciiEncoding_varData_id));
    ASSERT_VARDATA_LIMITS(CTL(varAsciiEncoding_varData_min_value), CTL(varAsciiEncoding_varData_max_value),
                          CTL(varAsciiEncoding_varData_null_value));
    ASSERT_NO_ID(CTL(varDataEncoding_length_id));
    ASSERT_NO_ID(CTL(varDataEncoding_varData_id));
    ASSERT_VARDATA_LIMITS(CTL(varDataEncoding_varData_min_value), CTL(varDataEncoding_varData_max_value),
                          CTL(varDataEncoding_varData_null_value));
    ASSERT_NO_ID(DRV(varAsciiEncoding_length_id));
    ASSERT_NO_ID(DRV(varAsciiEncoding_varData_id));
    ASSERT_VARDATA_LIMITS(DRV(varAsciiEncoding_varData_min_value), DRV(varAsciiEncoding_varData_max_value),
                          DRV(varAsciiEncoding_varData_null_value));
    ASSERT_NO_ID(DSC(varAsciiEncoding_length_id));
    ASSERT_NO_ID(DSC(varAsciiEncoding_varData_id));
    ASSERT_VARDATA_LIMITS(DSC(varAsciiEncoding_varData_min_value), DSC(varAsciiEncoding_varData_max_value),
                          DSC(varAsciiEncoding_varData_null_value));
}

/* The length prefix keeps the schema's maxValue (2^30); present before this change, checked as the contrast. */
static void test_length_limits(void **state)
{
    assert_int_equal(UINT32_C(1073741824), CTL(varAsciiEncoding_length_max_value)());
    assert_int_equal(UINT32_MAX, CTL(varDataEncoding_length_null_value)());
    assert_int_equal(0, DSC(varAsciiEncoding_length_min_value)());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_header_member_ids),
        cmocka_unit_test(test_group_size_member_ids),
        cmocka_unit_test(test_var_data_member_ids_and_limits),
        cmocka_unit_test(test_length_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
