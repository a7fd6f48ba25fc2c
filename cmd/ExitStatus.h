// Exit statuses (ExitStatus.def) as an enum, and the help text listing them.
#pragma once

#include <string>

namespace vvm::cmd {

enum class Exit : int {
#define VVM_EXIT(Name, Code, Meaning) Name = Code,
#include "cmd/ExitStatus.def"
};

/// The exit-status table as --help prints it.
std::string exitStatusHelp();

} // namespace vvm::cmd
