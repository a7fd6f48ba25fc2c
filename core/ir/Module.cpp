// Module tables, and the roots that keep statics and string literals alive.
#include "core/ir/Module.h"

#include "core/interp/Runtime.h"
#include "gc/Heap.h"

namespace vvm::core {

Module::Module(Runtime& rt, std::string name) : rt_(rt), name_(std::move(name)) {}

Module::~Module() {
  for (void* block : rootBlocks_) gc::freeRoot(block);
}

Shape* Module::addShape(std::string name) {
  if (findShape(name)) return nullptr;
  auto s = std::make_unique<Shape>();
  s->name = name;
  s->owner = this;
  shapes_.push_back(std::move(s));
  shapesByName_.emplace(std::move(name), shapes_.back().get());
  return shapes_.back().get();
}

Shape* Module::findShape(std::string_view name) const {
  auto it = shapesByName_.find(name);
  return it != shapesByName_.end() ? it->second : rt_.findBuiltinShape(name);
}

Method* Module::addMethod(std::string name) {
  if (methodsByName_.count(name)) return nullptr;
  auto m = std::make_unique<Method>();
  m->name = name;
  m->module = this;
  Method* raw = m.get();
  methods_.push_back(std::move(m));
  methodsByName_.emplace(std::move(name), raw);
  return raw;
}

Method* Module::findMethod(std::string_view name) const {
  auto it = methodsByName_.find(name);
  return it == methodsByName_.end() ? nullptr : it->second;
}

const StaticInfo* Module::addStatic(std::string name, Kind kind) {
  if (findStatic(name)) return nullptr;
  auto* cell = static_cast<Value*>(gc::allocRoot(sizeof(Value)));
  rootBlocks_.push_back(cell);
  statics_.push_back(std::make_unique<StaticInfo>(StaticInfo{name, kind, cell}));
  const StaticInfo* info = statics_.back().get();
  staticsByName_.emplace(std::move(name), info);
  staticsByCell_.emplace(cell, info);
  return info;
}

const StaticInfo* Module::findStatic(std::string_view name) const {
  auto it = staticsByName_.find(name);
  return it == staticsByName_.end() ? nullptr : it->second;
}

const StaticInfo* Module::staticForCell(const Value* cell) const {
  auto it = staticsByCell_.find(cell);
  return it == staticsByCell_.end() ? nullptr : it->second;
}

Object* Module::internString(std::string_view text) {
  auto it = strings_.find(text);
  if (it != strings_.end()) return it->second;
  Object* s = rt_.newString(text);
  if (!s) return nullptr;
  pin(s);
  strings_.emplace(std::string(text), s);
  return s;
}

void Module::pin(Object* o) {
  if (pinCount_ % kPinsPerBlock == 0) {
    pins_ = static_cast<Object**>(gc::allocRoot(kPinsPerBlock * sizeof(Object*)));
    rootBlocks_.push_back(pins_);
  }
  pins_[pinCount_++ % kPinsPerBlock] = o;
}

} // namespace vvm::core
