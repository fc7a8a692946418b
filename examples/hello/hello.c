// hello is a tiny multi-call binary, like busybox: it looks at the name it
// was started as (argv[0]) to decide what to do, so one file serves several
// commands through symlinks.
#include <stdio.h>
#include <string.h>

static const char *base(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static int greet(void) {
  char line[256] = "hello from rules_strata\n";
  FILE *f = fopen("/etc/hello/greeting.txt", "r");
  if (f) {
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
  }
  fputs(line, stdout);
  return 0;
}

int main(int argc, char **argv) {
  const char *cmd = base(argv[0]);
  if (strcmp(cmd, "hello") == 0 && argc > 1) cmd = argv[1];
  if (strcmp(cmd, "greet") == 0 || strcmp(cmd, "hello") == 0) return greet();
  if (strcmp(cmd, "version") == 0) {
    puts("hello 1.0");
    return 0;
  }
  fprintf(stderr, "hello: unknown command %s (try greet, version)\n", cmd);
  return 2;
}
