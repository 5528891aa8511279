/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Validated module parameters for the glue of hotdma_ioat.ko and hotdma_test.ko: every value
 * is checked when it is set, at insmod and through /sys/module/<mod>/parameters/ alike.
 *
 * A refused value leaves the parameter as it was and prints one line naming the parameter
 * and its valid values. Written through sysfs, the write fails with -EINVAL. At insmod the set
 * op accepts (returns 0) and the module's init fails with -EINVAL instead: an error from the
 * set op would make parse_args() print a generic second line of its own ("`x' invalid for
 * parameter `y'"). The module is still COMING while its parameters are parsed (load_module:
 * complete_formation, then parse_args), LIVE afterwards.
 */
#ifndef HOTDMA_SHIM_PARAM_CHECK_H
#define HOTDMA_SHIM_PARAM_CHECK_H
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

static inline int hotdma_param_refuse(const struct kernel_param *kp, const char *val,
				      const char *valid, bool *refused)
{
	int len = strcspn(val, "\n");

	pr_err("%s: %s=%.*s refused: valid values are %s\n",
	       kp->mod ? kp->mod->name : KBUILD_MODNAME, kp->name, len, val, valid);
	if (kp->mod && kp->mod->state != MODULE_STATE_LIVE) {
		*refused = true;
		return 0;
	}
	return -EINVAL;
}

/* An unsigned integer in [min, max] (any base kstrtouint takes). */
struct hotdma_uint_param {
	unsigned int *value;
	unsigned int min, max;
	bool *refused;
};

static inline int hotdma_param_set_uint(const char *val, const struct kernel_param *kp)
{
	const struct hotdma_uint_param *p = kp->arg;
	unsigned int v;
	char valid[32];

	if (kstrtouint(val, 0, &v) || v < p->min || v > p->max) {
		snprintf(valid, sizeof(valid), "%u..%u", p->min, p->max);
		return hotdma_param_refuse(kp, val, valid, p->refused);
	}
	WRITE_ONCE(*p->value, v);
	return 0;
}

static inline int hotdma_param_get_uint(char *buf, const struct kernel_param *kp)
{
	const struct hotdma_uint_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*p->value));
}

static const struct kernel_param_ops hotdma_param_uint_ops __maybe_unused = {
	.set = hotdma_param_set_uint,
	.get = hotdma_param_get_uint,
};

/* A boolean (kstrtobool: y/n/1/0/on/off). */
struct hotdma_bool_param {
	int *value;
	bool *refused;
};

static inline int hotdma_param_set_bool(const char *val, const struct kernel_param *kp)
{
	const struct hotdma_bool_param *p = kp->arg;
	bool v;

	if (!val || kstrtobool(val, &v))
		return hotdma_param_refuse(kp, val ?: "", "1, 0, y, n, on, off", p->refused);
	WRITE_ONCE(*p->value, v);
	return 0;
}

static inline int hotdma_param_get_bool(char *buf, const struct kernel_param *kp)
{
	const struct hotdma_bool_param *p = kp->arg;

	return sysfs_emit(buf, "%c\n", READ_ONCE(*p->value) ? 'Y' : 'N');
}

static const struct kernel_param_ops hotdma_param_bool_ops __maybe_unused = {
	.set = hotdma_param_set_bool,
	.get = hotdma_param_get_bool,
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
};

/* One word of a fixed list (NULL-terminated); a trailing newline (echo) is ignored. */
struct hotdma_choice_param {
	char *value;
	size_t size;
	const char *const *choices;
	const char *valid;
	bool *refused;
};

static inline int hotdma_param_set_choice(const char *val, const struct kernel_param *kp)
{
	const struct hotdma_choice_param *p = kp->arg;
	size_t len = strcspn(val, "\n");
	const char *const *c;

	for (c = p->choices; *c; c++) {
		if (strlen(*c) == len && !strncmp(*c, val, len)) {
			strscpy(p->value, *c, p->size);
			return 0;
		}
	}
	return hotdma_param_refuse(kp, val, p->valid, p->refused);
}

static inline int hotdma_param_get_choice(char *buf, const struct kernel_param *kp)
{
	const struct hotdma_choice_param *p = kp->arg;

	return sysfs_emit(buf, "%s\n", p->value);
}

static const struct kernel_param_ops hotdma_param_choice_ops __maybe_unused = {
	.set = hotdma_param_set_choice,
	.get = hotdma_param_get_choice,
};

#endif
