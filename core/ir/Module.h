// A module: one unit of loaded VP code (a .vp file, later a VMlet's or an application's
// translated classes): its shapes, statics, string literals and methods, by name.
#pragma once

#include "core/ir/Method.h"
#include "core/object/Object.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vvm::core {

class Runtime;

/// A named static storage cell.
struct StaticInfo {
  std::string name;
  Kind kind;
  Value* cell;
};

class Module {
public:
  Module(Runtime& rt, std::string name);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  Runtime& runtime() const { return rt_; }
  const std::string& name() const { return name_; }

  /// Adds an empty shape; nullptr if the name is taken here or by a built-in shape.
  Shape* addShape(std::string name);
  /// A shape of this module or a built-in one.
  Shape* findShape(std::string_view name) const;
  const std::vector<std::unique_ptr<Shape>>& shapes() const { return shapes_; }

  /// Adds a method; nullptr if the name is taken.
  Method* addMethod(std::string name);
  Method* findMethod(std::string_view name) const;
  const std::vector<std::unique_ptr<Method>>& methods() const { return methods_; }

  /// Adds a zeroed static cell (a GC root); nullptr if the name is taken.
  const StaticInfo* addStatic(std::string name, Kind kind);
  const StaticInfo* findStatic(std::string_view name) const;
  const StaticInfo* staticForCell(const Value* cell) const;
  const std::vector<std::unique_ptr<StaticInfo>>& statics() const { return statics_; }

  /// The interned string object for `text`, kept alive as long as the module; nullptr when
  /// the heap is exhausted.
  Object* internString(std::string_view text);
  /// Keeps `o` alive as long as the module (symbols, constants, objects C++ tables point to).
  void pin(Object* o);

private:
  Runtime& rt_;
  std::string name_;
  std::vector<std::unique_ptr<Shape>> shapes_;
  std::vector<std::unique_ptr<Method>> methods_;
  std::vector<std::unique_ptr<StaticInfo>> statics_;
  std::map<std::string, Method*, std::less<>> methodsByName_;
  std::map<std::string, Shape*, std::less<>> shapesByName_;
  std::map<std::string, const StaticInfo*, std::less<>> staticsByName_;
  std::map<const Value*, const StaticInfo*> staticsByCell_;
  std::map<std::string, Object*, std::less<>> strings_;
  std::vector<void*> rootBlocks_; ///< GC roots: static cells and string pins
  Object** pins_ = nullptr;
  size_t pinCount_ = 0;
  static constexpr size_t kPinsPerBlock = 256;
};

} // namespace vvm::core
