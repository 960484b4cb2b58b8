/* test_icd_backend_missing: with CLSVM_BACKEND naming a library that does not exist, clsvm must
 * offer no platform (the loader then reports CL_PLATFORM_NOT_FOUND_KHR or zero platforms), must
 * not crash, and must say why in exactly one "clsvm:" line on stderr. The test re-runs itself
 * as a child so that it can capture the child's stderr and exit status. */
#include "icd_test.h"

#include <sys/wait.h>
#include <unistd.h>

#define BAD_BACKEND "/nonexistent/libnope.so"

/* In the child: enumerate twice (the message must not repeat) and check no clsvm platform. */
static int child(void)
{
    for (int round = 0; round < 2; round++) {
        cl_uint n = 0;
        cl_int err = clGetPlatformIDs(0, NULL, &n);
        if (err == CL_PLATFORM_NOT_FOUND_KHR || (err == CL_SUCCESS && n == 0))
            continue;
        CHECK_MSG(err == CL_SUCCESS, "clGetPlatformIDs: %s", icd_err_name(err));
        cl_platform_id ids[16];
        CHECK_CL(clGetPlatformIDs(n > 16 ? 16 : n, ids, NULL));
        for (cl_uint i = 0; i < n && i < 16; i++) {
            const char *name = icd_platform_name(ids[i]);
            CHECK_MSG(strncmp(name, "clsvm", 5) != 0,
                      "platform '%s' offered although its backend %s does not exist", name,
                      BAD_BACKEND);
        }
    }
    printf("child ok\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--child"))
        return child();

    setenv("CLSVM_BACKEND", BAD_BACKEND, 1);
    int errpipe[2];
    CHECK(pipe(errpipe) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(errpipe[1], 2);
        close(errpipe[0]);
        close(errpipe[1]);
        execl("/proc/self/exe", argv[0], "--child", (char *)NULL);
        _exit(127);
    }
    close(errpipe[1]);
    static char text[65536];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof text - 1 && (r = read(errpipe[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)r;
    text[len] = 0;
    close(errpipe[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    fprintf(stderr, "--- child stderr ---\n%s--- end ---\n", text);

    CHECK_MSG(WIFEXITED(status), "child died by signal %d",
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    CHECK_MSG(WEXITSTATUS(status) == 0, "child exited with %d", WEXITSTATUS(status));

    int lines = 0, names_path = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (strncmp(line, "clsvm:", 6) == 0) {
            lines++;
            names_path |= strstr(line, BAD_BACKEND) != NULL;
        }
        line = nl ? nl + 1 : line + strlen(line);
    }
    CHECK_MSG(lines == 1, "stderr has %d lines starting with 'clsvm:', want exactly 1", lines);
    /* One line per problem says what failed: the user must see which library is missing. */
    CHECK_MSG(names_path, "the clsvm: line does not name the missing backend " BAD_BACKEND);
    printf("ok\n");
    return 0;
}
