# weft_add_mpi_test(name SOURCES a.cpp ... RANKS 1 2 4 [THREADS 1 2] [TIMEOUT s] [LIBRARIES ...])
#
# Builds one GoogleTest executable (with weft's MPI-aware main) and registers it once per
# rank count and thread count as name.np<R>[.t<T>], run through MPIEXEC_EXECUTABLE under
# `timeout -k 5` so a hang can never stall the suite. Oversubscription and the variables
# OpenMPI needs when run as root are set here, in the test layer, never in the user's
# shell. Multi-threaded runs are not bound to one core per rank (OpenMPI's default for
# np <= 2 would put every thread of a rank on one core).
find_program(WEFT_TIMEOUT timeout REQUIRED)
set(WEFT_TEST_ENVIRONMENT OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    "ASAN_OPTIONS=fast_unwind_on_malloc=0:detect_leaks=1:abort_on_error=0"
    "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp:print_suppressions=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
# tests/cli/expect.sh --max-seconds checks that a bad input ends promptly, not how fast:
# under a sanitizer everything runs several times slower (a usage error under ASan, with
# the suite's other tests beside it, took 10.1 s against a limit of 10), so its limits
# are scaled there.
if(WEFT_SANITIZE OR WEFT_TSAN)
  list(APPEND WEFT_TEST_ENVIRONMENT "WEFT_TEST_TIME_SCALE=3")
endif()
if(WEFT_TSAN)
  # Archer (LLVM's OpenMP tool for TSan) from the runtime's folder; OpenMPI and HDF5 are
  # not instrumented, so TSan ignores what happens inside them.
  get_filename_component(weft_omp_dir "${OpenMP_omp_LIBRARY}" DIRECTORY)
  find_library(WEFT_ARCHER archer HINTS "${weft_omp_dir}" /usr/lib/llvm-14/lib REQUIRED)
  list(APPEND WEFT_TEST_ENVIRONMENT "OMP_TOOL_LIBRARIES=${WEFT_ARCHER}"
    "TSAN_OPTIONS=ignore_noninstrumented_modules=1:halt_on_error=0:suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/tsan.supp")
endif()

# The end-to-end command tests (expect.sh) mostly run a weft that exits non-zero on purpose.
# mpirun then kills the job and waits odls_base_sigkill_timeout (1 s) between SIGTERM and
# SIGKILL, twice, even when every rank has already exited: 2 s of idle per test, against
# 0.05 s without the wait. Those tests drop it; the tests of signals, checkpoints on
# SIGTERM and job steps keep mpirun's default, as users have it.
set(WEFT_CLI_TEST_ENVIRONMENT ${WEFT_TEST_ENVIRONMENT} OMPI_MCA_odls_base_sigkill_timeout=0)
# Under ASan, LeakSanitizer's check at exit costs 1.4 s of every process: Open MPI's start-up
# leaves allocations from components it has unloaded again, and each of their frames makes
# the sanitizer re-read the process's 2,000-odd mappings (the careful unwinder the
# suppressions need adds 0.4 s more). The command tests check leaks in their 1-rank runs;
# their multi-rank runs and the h5py interplay test (data.interop), the same code paths
# over more ranks, skip the leak check. The library and kernel tests check leaks at every
# rank count.
set(WEFT_CLI_MULTI_RANK_ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0")
# weft_cli_test_environment(out ranks): the environment of a command test run on `ranks`.
function(weft_cli_test_environment out ranks)
  set(env ${WEFT_CLI_TEST_ENVIRONMENT})
  if(ranks GREATER 1)
    list(APPEND env ${WEFT_CLI_MULTI_RANK_ENVIRONMENT})
  endif()
  set(${out} "${env}" PARENT_SCOPE)
endfunction()

# Output that fails a test whatever its exit code: HDF5's own error stack printing (weft
# silences it and reports errors itself) and sanitizer reports.
set(WEFT_TEST_FAIL_REGEX
    "HDF5-DIAG;ERROR: AddressSanitizer;ERROR: LeakSanitizer;runtime error:;WARNING: ThreadSanitizer")

function(weft_add_mpi_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;RANKS;THREADS;LIBRARIES;LABELS" ${ARGN})
  if(NOT ARG_RANKS)
    set(ARG_RANKS 1)
  endif()
  if(NOT ARG_THREADS)
    set(ARG_THREADS 1)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE weft_test_main weft::weft ${ARG_LIBRARIES}
    weft_warnings weft_sanitizers)
  foreach(ranks IN LISTS ARG_RANKS)
    foreach(threads IN LISTS ARG_THREADS)
      set(test_name ${name}.np${ranks})
      set(bind)
      set(wait)
      if(threads GREATER 1)
        set(test_name ${test_name}.t${threads})
        set(bind --bind-to none)
        # Oversubscribed runs (4 ranks x 2 threads on 2 cores) crawl while idle OpenMP
        # threads spin; passive waiting keeps them at a fraction of a second.
        set(wait ";OMP_WAIT_POLICY=passive")
      endif()
      math(EXPR procs "${ranks} * ${threads}")
      add_test(NAME ${test_name}
        COMMAND ${WEFT_TIMEOUT} -k 5 ${ARG_TIMEOUT}
                ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} --oversubscribe ${bind}
                ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${name}> ${MPIEXEC_POSTFLAGS})
      set_tests_properties(${test_name} PROPERTIES
        PROCESSORS ${procs}
        TIMEOUT ${ARG_TIMEOUT}
        FAIL_REGULAR_EXPRESSION "${WEFT_TEST_FAIL_REGEX}"
        LABELS "mpi;np${ranks};${ARG_LABELS}"
        ENVIRONMENT "${WEFT_TEST_ENVIRONMENT};OMP_NUM_THREADS=${threads}${wait}")
    endforeach()
  endforeach()
  weft_add_cluster_variants(${name} "${ARG_RANKS}" "${ARG_THREADS}" ${ARG_TIMEOUT} "${ARG_LABELS}")
  # The multi-threaded ones make target weft_threaded_tests (what `make test-tsan` runs).
  foreach(threads IN LISTS ARG_THREADS)
    if(threads GREATER 1)
      set_property(GLOBAL APPEND PROPERTY WEFT_THREADED_TESTS ${name})
      break()
    endif()
  endforeach()
endfunction()

# The same executable across two nodes of the local cluster (scripts/cluster-local), label
# `cluster`, run by `make test-cluster`: 2 nodes x 2 ranks where the test runs at 4 ranks
# (2 nodes x 1 rank where it runs at 2 at most), and 2 nodes x 1 rank x 2 threads where it
# runs multi-threaded.
function(weft_add_cluster_variants name ranks threads timeout labels)
  if(WEFT_TSAN)
    return()
  endif()
  set(variants)
  if(4 IN_LIST ranks)
    list(APPEND variants "np4:2:1")
  elseif(2 IN_LIST ranks)
    list(APPEND variants "np2:1:1")
  endif()
  if(2 IN_LIST threads AND 2 IN_LIST ranks)
    list(APPEND variants "np2.t2:1:2")
  endif()
  foreach(variant IN LISTS variants)
    string(REPLACE ":" ";" parts "${variant}")
    list(GET parts 0 suffix)
    list(GET parts 1 per_node)
    list(GET parts 2 threads)
    math(EXPR ranks_total "2 * ${per_node}")
    # The local cluster gives each node its own cores (one each on a 2-core machine), so
    # several ranks or threads per node are oversubscribed: OpenMPI's default binding
    # for ranks, none for threads.
    set(bind)
    if(threads GREATER 1)
      set(bind --bind-to none)
    endif()
    set(test_name ${name}.nodes2.${suffix})
    add_test(NAME ${test_name}
      COMMAND ${PROJECT_SOURCE_DIR}/tests/cluster/on-cluster ${timeout}
              mpirun -n ${ranks_total} --map-by ppr:${per_node}:node ${bind}
              -x OMP_NUM_THREADS -x OMP_WAIT_POLICY -x WEFT_TEST_SCRATCH
              $<TARGET_FILE:${name}>)
    set_tests_properties(${test_name} PROPERTIES
      PROCESSORS 2
      TIMEOUT ${timeout}
      SKIP_RETURN_CODE 77
      FAIL_REGULAR_EXPRESSION "${WEFT_TEST_FAIL_REGEX}"
      LABELS "cluster;${labels}"
      ENVIRONMENT "${WEFT_TEST_ENVIRONMENT};OMP_NUM_THREADS=${threads};OMP_WAIT_POLICY=passive;WEFT_TEST_SCRATCH=${CMAKE_BINARY_DIR}/cluster-scratch")
  endforeach()
endfunction()
