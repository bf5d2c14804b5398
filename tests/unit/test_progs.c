// SPDX-License-Identifier: GPL-2.0
/* Every hook's programs exist in the BPF object under the names attach.c looks them up by (kind_stem): a
 * renamed program fails here, not on an s390x host. Reads the native build's object with libbpf; loads nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "hooks.h"

#ifndef ZT_BPF_OBJ
#error "ZT_BPF_OBJ: the path of zpcitrace.bpf.o"
#endif

static struct bpf_object *obj;

static bool has_named(const char *kind, const char *stem, const char *suffix)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_%s%s", kind, stem, suffix);
	return bpf_object__find_program_by_name(obj, name) != NULL;
}

static bool has_prog(const char *kind, const char *stem)
{
	return has_named(kind, stem, "");
}

static bool has_twin(const char *kind, const char *stem)
{
	return has_named(kind, stem, "_jit");
}

/* only the _jit twins call a kfunc (bpf_rdonly_cast): a kfunc call in a plain kprobe program makes the interpreter's
 * verifier refuse it (Debian's s390x kernels have no JIT) */
static void test_only_jit_programs_call_kfuncs(void **state)
{
	struct bpf_program *p;

	(void)state;
	bpf_object__for_each_program(p, obj) {
		const struct bpf_insn *insn = bpf_program__insns(p);
		const char *name = bpf_program__name(p);
		bool jit = !strncmp(name, "fentry_", 7) || !strncmp(name, "fexit_", 6) ||
			   (strlen(name) > 4 && !strcmp(name + strlen(name) - 4, "_jit"));
		size_t kfuncs = 0;

		for (size_t i = 0; i < bpf_program__insn_cnt(p); i++)
			/* unrelocated, an extern's call is "call -1" (the programs have no subprograms) */
			kfuncs += insn[i].code == (BPF_JMP | BPF_CALL) && (insn[i].src_reg == BPF_PSEUDO_KFUNC_CALL ||
									    insn[i].imm == -1);
		if (jit ? !kfuncs : kfuncs != 0)
			fail_msg("%s: %zu kfunc calls", name, kfuncs);
	}
}

static void test_every_hook_has_its_programs(void **state)
{
	(void)state;
	for (int h = 0; h < ZT_NR_HOOKS; h++) {
		const struct zt_hook_info *hi = &zt_hooks[h];

		if (!has_prog("fentry", hi->prog) || !has_prog("kprobe", hi->prog))
			fail_msg("%s: no fentry_%s or kprobe_%s", hi->func, hi->prog, hi->prog);
		/* an exit program exactly where the table says so */
		if (has_prog("fexit", hi->prog) != hi->has_exit || has_prog("kretprobe", hi->prog) != hi->has_exit)
			fail_msg("%s: fexit_/kretprobe_%s exist: %d/%d, the table says %d", hi->func, hi->prog,
				 has_prog("fexit", hi->prog), has_prog("kretprobe", hi->prog), hi->has_exit);
		/* each kprobe program has its twin for JIT kernels (the loader asks for kind_stem_jit there) */
		if (!has_twin("kprobe", hi->prog) || has_twin("kretprobe", hi->prog) != hi->has_exit)
			fail_msg("%s: kprobe_%s_jit or kretprobe_%s_jit missing", hi->func, hi->prog, hi->prog);
	}
	assert_non_null(bpf_object__find_program_by_name(obj, "read_queues"));
}

/* the loader runs it once at load (BPF_PROG_TEST_RUN), as a syscall program: no hook, no context */
static void test_uapi_program_is_a_syscall_program(void **state)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "which_uapi");

	(void)state;
	assert_non_null(p);
	assert_int_equal(bpf_program__type(p), BPF_PROG_TYPE_SYSCALL);
}

static int setup(void **state)
{
	(void)state;
	obj = bpf_object__open_file(ZT_BPF_OBJ, NULL);
	return obj ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	bpf_object__close(obj);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_hook_has_its_programs),
		cmocka_unit_test(test_only_jit_programs_call_kfuncs),
		cmocka_unit_test(test_uapi_program_is_a_syscall_program),
	};
	libbpf_set_print(NULL);
	return cmocka_run_group_tests_name("progs", tests, setup, teardown);
}
