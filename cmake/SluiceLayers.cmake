# The layers of sluice, declared in one place (src/CMakeLists.txt) and enforced twice:
#   - the build: each folder of src/sluice/ is a static library linking exactly the folders and
#     third-party libraries it declares, and each folder's unit tests link only that library and
#     what it declares, so a call from a lower folder into a higher one fails to link;
#   - the layering test (tests/layering/check_layering.py, in ctest): every #include of a file must
#     name its own folder, a folder its folder declares, or a third-party library declared there.
# A folder may use only folders declared before it, so the declared graph cannot have a cycle.
#
# The declarations are written to ${SLUICE_LAYERS_MANIFEST} for the layering test, a line each:
#   third_party NAME HEADER...          a library and the headers that belong to it
#   unit PATH includes PATH... third_party NAME...
# where a unit is a folder (or one file, for tools) relative to the source root.

set(SLUICE_LAYERS_MANIFEST ${CMAKE_BINARY_DIR}/layers.manifest)
set_property(GLOBAL PROPERTY SLUICE_MANIFEST_LINES "")

function(_sluice_manifest line)
  set_property(GLOBAL APPEND PROPERTY SLUICE_MANIFEST_LINES "${line}")
endfunction()

# sluice_third_party(NAME TARGET <cmake target> HEADERS <header or prefix/>...)
function(sluice_third_party name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TARGET" "HEADERS")
  set_property(GLOBAL PROPERTY SLUICE_THIRD_PARTY_TARGET_${name} "${arg_TARGET}")
  list(JOIN arg_HEADERS " " headers)
  _sluice_manifest("third_party ${name} ${headers}")
endfunction()

# The unit (folder) a CMake name refers to: "aws/config" -> src/sluice/aws/config.
function(_sluice_folder_path folder out)
  get_property(path GLOBAL PROPERTY SLUICE_FOLDER_PATH_${folder})
  if(NOT path)
    message(FATAL_ERROR "sluice: folder \"${folder}\" is used before it is declared: declare "
                        "lower folders first in src/CMakeLists.txt (that keeps the layers acyclic)")
  endif()
  set(${out} ${path} PARENT_SCOPE)
endfunction()

# sluice_folder(FOLDER [USES <folder>...] [THIRD_PARTY <name>...])
# Declares src/sluice/FOLDER/ as the static library sluice_FOLDER (slashes become underscores),
# made of that folder's .cc files (not its subfolders': they are folders of their own).
function(sluice_folder folder)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "USES;THIRD_PARTY")
  string(REPLACE "/" "_" suffix ${folder})
  set(target sluice_${suffix})
  set(path src/sluice/${folder})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${path}/*.cc)
  if(NOT sources)
    message(FATAL_ERROR "sluice: folder ${path} has no .cc file")
  endif()
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR}/src)

  set(include_paths "")
  set(closure "")
  foreach(use ${arg_USES})
    _sluice_folder_path(${use} use_path)
    get_property(use_target GLOBAL PROPERTY SLUICE_FOLDER_TARGET_${use})
    get_property(use_closure GLOBAL PROPERTY SLUICE_FOLDER_CLOSURE_${use})
    target_link_libraries(${target} PUBLIC ${use_target})
    list(APPEND include_paths ${use_path})
    list(APPEND closure ${use} ${use_closure})
  endforeach()
  foreach(name ${arg_THIRD_PARTY})
    get_property(tp_target GLOBAL PROPERTY SLUICE_THIRD_PARTY_TARGET_${name})
    if(NOT tp_target)
      message(FATAL_ERROR "sluice: folder ${folder} names third-party library \"${name}\", "
                          "which no sluice_third_party() declares")
    endif()
    target_link_libraries(${target} PUBLIC ${tp_target})
  endforeach()
  list(REMOVE_DUPLICATES closure)

  set_property(GLOBAL PROPERTY SLUICE_FOLDER_PATH_${folder} ${path})
  set_property(GLOBAL PROPERTY SLUICE_FOLDER_TARGET_${folder} ${target})
  set_property(GLOBAL PROPERTY SLUICE_FOLDER_CLOSURE_${folder} "${closure}")
  set_property(GLOBAL APPEND PROPERTY SLUICE_FOLDERS ${folder})

  list(JOIN include_paths " " includes)
  list(JOIN arg_THIRD_PARTY " " third_party)
  _sluice_manifest("unit ${path} includes ${includes} third_party ${third_party}")
endfunction()

# Everything a target that names FOLDERs may include: their paths and those of every folder
# below them (what linking them brings); and the folders' own targets.
function(_sluice_reach out_paths out_targets)
  set(paths "")
  set(targets "")
  foreach(folder ${ARGN})
    _sluice_folder_path(${folder} path)
    get_property(target GLOBAL PROPERTY SLUICE_FOLDER_TARGET_${folder})
    get_property(closure GLOBAL PROPERTY SLUICE_FOLDER_CLOSURE_${folder})
    list(APPEND paths ${path})
    list(APPEND targets ${target})
    foreach(below ${closure})
      _sluice_folder_path(${below} below_path)
      list(APPEND paths ${below_path})
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES paths)
  set(${out_paths} "${paths}" PARENT_SCOPE)
  set(${out_targets} "${targets}" PARENT_SCOPE)
endfunction()

# sluice_unit(PATH USES <folder>... [EXTRA_INCLUDES <path>...] [THIRD_PARTY <name>...])
# Records what the files of PATH (a tool's source, the tests of a folder, a benchmark) may
# include: the folders they use and everything below them (what linking them brings), plus
# EXTRA_INCLUDES, and only the third-party headers named here: a library's headers stay in its
# home folder even when what links that folder could reach them.
function(sluice_unit path)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "USES;EXTRA_INCLUDES;THIRD_PARTY")
  _sluice_reach(paths targets ${arg_USES})
  list(APPEND paths ${arg_EXTRA_INCLUDES})
  list(JOIN paths " " includes)
  list(JOIN arg_THIRD_PARTY " " third_party_text)
  _sluice_manifest("unit ${path} includes ${includes} third_party ${third_party_text}")
endfunction()

# The targets of FOLDERs (for target_link_libraries).
function(sluice_folder_targets out)
  _sluice_reach(paths targets ${ARGN})
  set(${out} "${targets}" PARENT_SCOPE)
endfunction()

# Writes the manifest; call once, after every declaration.
function(sluice_write_layers_manifest)
  get_property(lines GLOBAL PROPERTY SLUICE_MANIFEST_LINES)
  list(JOIN lines "\n" text)
  file(WRITE ${SLUICE_LAYERS_MANIFEST}.tmp "${text}\n")
  # Only touch the file when it changed, so ctest's inputs stay stable across re-runs.
  file(COPY_FILE ${SLUICE_LAYERS_MANIFEST}.tmp ${SLUICE_LAYERS_MANIFEST} ONLY_IF_DIFFERENT)
endfunction()
