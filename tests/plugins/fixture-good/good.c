/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixture-good: a well-formed partitioner with an option of every type.
 * init() reads every option through the services table (so the test sees
 * the registry's values arrive), appends "init NAME" to trace_file when set
 * and fails when fail_init is true; fini() appends "fini NAME".
 */
#include <stdio.h>
#include <string.h>

#include <samsa/partitioner.h>

typedef struct good {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    const char *trace_file;
    int64_t count;
    samsa_metric_t *calls;
} good_t;

static void trace(const char *file, const char *what, const char *name)
{
    FILE *fp;

    if (file == NULL || file[0] == '\0') {
        return;
    }
    fp = fopen(file, "a");
    if (fp != NULL) {
        fprintf(fp, "%s %s\n", what, name);
        fclose(fp);
    }
}

static samsa_err_t read_options(good_t *g, char *errbuf, size_t size)
{
    const samsa_services_t *svc = g->svc;
    const samsa_config_t *cfg = g->inst->config;
    const char *label = NULL, *mode = NULL;
    const char *const *tags = NULL;
    size_t ntags = 0;
    double ratio = 0;
    bool flag = false;

    if (svc->config_bool(cfg, "flag", &flag) ||
        svc->config_int(cfg, "count", &g->count) ||
        svc->config_double(cfg, "ratio", &ratio) ||
        svc->config_string(cfg, "label", &label) ||
        svc->config_string(cfg, "mode", &mode) ||
        svc->config_list(cfg, "tags", &tags, &ntags) ||
        svc->config_string(cfg, "trace_file", &g->trace_file)) {
        snprintf(errbuf, size, "an option is missing from the config");
        return SAMSA_ERR_CONFIG;
    }
    svc->log(g->inst, SAMSA_LOG_DEBUG,
             "flag=%d count=%lld ratio=%g label=%s mode=%s tags=%zu", flag,
             (long long)g->count, ratio, label, mode, ntags);
    return SAMSA_OK;
}

static samsa_err_t good_init(const samsa_services_t *svc,
                             const samsa_instance_t *inst, void **state,
                             char *errbuf, size_t errbuf_size)
{
    good_t *g = svc->alloc(sizeof(*g));
    bool fail = false;
    samsa_err_t rc;

    if (g == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memset(g, 0, sizeof(*g));
    g->svc = svc;
    g->inst = inst;
    rc = read_options(g, errbuf, errbuf_size);
    if (rc == SAMSA_OK) {
        svc->config_bool(inst->config, "fail_init", &fail);
    }
    if (rc == SAMSA_OK && fail) {
        snprintf(errbuf, errbuf_size, "fail_init is set");
        rc = SAMSA_ERR_CONFIG;
    }
    if (rc != SAMSA_OK) {
        svc->free(g);
        return rc;
    }
    trace(g->trace_file, "init", inst->name);
    g->calls = svc->metric_register(inst, "partition_calls",
                                    SAMSA_METRIC_COUNTER, "partition() calls");
    *state = g;
    return SAMSA_OK;
}

static void good_fini(void *state)
{
    good_t *g = state;

    trace(g->trace_file, "fini", g->inst->name);
    g->svc->free(g);
}

static samsa_err_t good_partition(void *state,
                                  const samsa_partition_input_t *in,
                                  int32_t *partition)
{
    good_t *g = state;

    g->svc->metric_add(g->calls, 1);
    *partition = (int32_t)((in->key_len + (uint64_t)g->count) %
                           (uint64_t)in->partition_count);
    return SAMSA_OK;
}

static const samsa_partitioner_ops_t good_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = good_partition,
};

static const samsa_option_t good_options[] = {
    SAMSA_OPTION_BOOL("flag", "false", "A boolean."),
    SAMSA_OPTION_INT("count", "10", 1, 100, "An integer in [1, 100]."),
    SAMSA_OPTION_DOUBLE("ratio", "0.5", "A number."),
    SAMSA_OPTION_STRING("label", "hello", "A string."),
    SAMSA_OPTION_LIST("tags", "[a, b]", "A list of strings."),
    {"mode", SAMSA_OPT_STRING, SAMSA_OPT_REQUIRED, NULL, 0, 0,
     "A required string."},
    SAMSA_OPTION_STRING("trace_file", "", "Append init/fini lines here."),
    SAMSA_OPTION_BOOL("fail_init", "false", "Make init() fail."),
    SAMSA_OPTION_END,
};

static const samsa_plugin_t good_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "fixture-good",
    .version = "1.2.3",
    .summary = "Test fixture: a well-formed partitioner",
    .options = good_options,
    .init = good_init,
    .fini = good_fini,
    .ops = &good_ops,
};

SAMSA_PLUGIN_DECLARE(good_plugin)
