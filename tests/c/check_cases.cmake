# cmake -DEXE=path -DNAMES=a,b,c -P check_cases.cmake
# Fails unless the cases EXE lists (`EXE --list`, one a line) are exactly the
# comma-separated NAMES that tests/c/CMakeLists.txt registered as ctests.
execute_process(COMMAND ${EXE} --list OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} --list failed (${rc})")
endif()
string(STRIP "${out}" out)
string(REPLACE "\n" ";" listed "${out}")
string(REPLACE "," ";" registered "${NAMES}")
set(missing ${listed})
list(REMOVE_ITEM missing ${registered})
set(extra ${registered})
list(REMOVE_ITEM extra ${listed})
if(missing OR extra)
  message(FATAL_ERROR "${EXE}: cases not registered with ctest: ${missing}; "
                      "registered but not in the binary: ${extra}")
endif()
list(LENGTH listed n)
message(STATUS "${EXE}: all ${n} cases registered")
