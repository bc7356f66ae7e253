// libFuzzer's driver, for a fuzz target that owns `main` (SwiftPM renames an
// executable's entry point, so libFuzzer's own `main` cannot be used). The
// symbol comes from clang's runtime when linking with -sanitize=fuzzer.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*callback)(const uint8_t *data, size_t size));
