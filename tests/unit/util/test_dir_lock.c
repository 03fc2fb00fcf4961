/* SPDX-License-Identifier: Apache-2.0 */
/* tests/unit/util/test_dir_lock.c - one process per data dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/dir_lock.h"

static void test_second_lock_fails_naming_the_holder(void **s)
{
    (void)s;
    char root[] = "/tmp/samsa-lock-XXXXXX";
    assert_non_null(mkdtemp(root));
    char dir[300], pid[64], err[512] = "";
    snprintf(dir, sizeof(dir), "%s/data", root);
    int fd = -1, fd2 = -1;
    /* Creates the dir; the lock file holds our pid. */
    assert_int_equal(samsa_dir_lock(dir, &fd, err, sizeof(err)), SAMSA_OK);
    assert_true(fd >= 0);
    /* flock locks belong to the open file: a second open conflicts even in
     * the same process, as a second samsad's would. */
    assert_int_equal(samsa_dir_lock(dir, &fd2, err, sizeof(err)),
                     SAMSA_ERR_AGAIN);
    assert_int_equal(fd2, -1);
    snprintf(pid, sizeof(pid), "in use by process %ld", (long)getpid());
    assert_non_null(strstr(err, pid));
    assert_non_null(strstr(err, "/data/.lock"));
    /* Released with its descriptor, however the holder ends. */
    close(fd);
    assert_int_equal(samsa_dir_lock(dir, &fd2, err, sizeof(err)), SAMSA_OK);
    close(fd2);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void test_check_writes_nothing_and_refuses_what_lock_cannot_use(void **s)
{
    (void)s;
    char root[] = "/tmp/samsa-lock-XXXXXX";
    assert_non_null(mkdtemp(root));
    char dir[300], err[512] = "";
    struct stat st;
    snprintf(dir, sizeof(dir), "%s/new", root);
    assert_int_equal(samsa_dir_check(dir, err, sizeof(err)), SAMSA_OK);
    assert_int_not_equal(stat(dir, &st), 0); /* not created */
    snprintf(dir, sizeof(dir), "%s/missing/new", root);
    assert_int_equal(samsa_dir_check(dir, err, sizeof(err)), SAMSA_ERR_IO);
    assert_non_null(strstr(err, "cannot create data dir"));
    snprintf(dir, sizeof(dir), "%s/file", root);
    FILE *f = fopen(dir, "w");
    fclose(f);
    assert_int_equal(samsa_dir_check(dir, err, sizeof(err)), SAMSA_ERR_IO);
    assert_non_null(strstr(err, "is not a directory"));
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_lock_fails_naming_the_holder),
        cmocka_unit_test(
            test_check_writes_nothing_and_refuses_what_lock_cannot_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
