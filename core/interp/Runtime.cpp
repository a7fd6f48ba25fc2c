// Built-in shapes, allocation and VP error raising.
#include "core/interp/Runtime.h"

#include "core/interp/Thread.h"
#include "core/support/Assert.h"
#include "gc/Heap.h"

#include <cstring>

namespace vvm::core {
namespace {
constexpr std::string_view kErrorNames[] = {
#define VVM_VP_ERROR(Name, Doc) #Name,
#include "core/interp/VpErrors.def"
};
constexpr std::string_view kMessageFormats[] = {
#define VVM_VP_MESSAGE(Name, Error, Format) Format,
#include "core/interp/VpErrors.def"
};
constexpr VpError kMessageErrors[] = {
#define VVM_VP_MESSAGE(Name, Error, Format) VpError::Error,
#include "core/interp/VpErrors.def"
};
} // namespace

Runtime::Runtime(RuntimeConfig config) : config_(config) {
  auto make = [&](std::string name, Shape* parent) {
    auto s = std::make_unique<Shape>();
    s->name = std::move(name);
    s->parent = parent;
    if (parent) s->fields = parent->fields;
    Shape* raw = s.get();
    shapes_.push_back(std::move(s));
    return raw;
  };
  for (size_t i = 0; i < std::size(arrayShapes_); ++i) {
    auto e = static_cast<Elem>(i);
    arrayShapes_[i] = make(std::string(elemName(e)) + "[]", nullptr);
    arrayShapes_[i]->elem = e;
    arrayShapes_[i]->finish();
  }
  stringShape_ = make("String", nullptr);
  stringShape_->elem = Elem::I8;
  stringShape_->finish();
  errorBase_ = make("Error", nullptr);
  errorBase_->fields.push_back({"message", Kind::Ref});
  errorBase_->finish();
  for (size_t i = 0; i < static_cast<size_t>(VpError::Count); ++i) {
    errorShapes_[i] = make(std::string(kErrorNames[i]), errorBase_);
    errorShapes_[i]->finish();
  }
  Shape* exitShape = make("<exit>", nullptr);
  exitShape->finish();

  roots_ = static_cast<void**>(gc::allocRoot(4 * sizeof(void*)));
  exitToken_ = newObject(exitShape);
  outOfMemory_ = newObject(errorShape(VpError::OutOfMemoryError));
  VVM_ASSERT(exitToken_ && outOfMemory_);
  Object* oomText = newString("heap limit reached");
  slotsOf(outOfMemory_)[0].ref = oomText;
  roots_[0] = exitToken_;
  roots_[1] = outOfMemory_;
  roots_[2] = oomText;
}

Runtime::~Runtime() { gc::freeRoot(roots_); }

Shape* Runtime::findBuiltinShape(std::string_view name) const {
  for (const auto& s : shapes_)
    if (s->name == name && s->name[0] != '<') return s.get();
  return nullptr;
}

Object* Runtime::newObject(const Shape* shape) {
  size_t bytes = shape->instanceBytes();
  void* mem = shape->atomic ? gc::allocAtomic(bytes) : gc::allocTyped(bytes, shape->gcDescriptor);
  if (!mem) return nullptr;
  auto* o = static_cast<Object*>(mem);
  o->shape = const_cast<Shape*>(shape);
  return o;
}

Array* Runtime::newArray(Elem elem, int64_t length) {
  VVM_ASSERT(length >= 0);
  unsigned size = elemSize(elem);
  if (static_cast<uint64_t>(length) > (uint64_t{1} << 40) / size) return nullptr;
  size_t bytes = sizeof(Array) + static_cast<size_t>(length) * size;
  void* mem = elem == Elem::Ref ? gc::allocConservative(bytes) : gc::allocAtomic(bytes);
  if (!mem) return nullptr;
  auto* a = static_cast<Array*>(mem);
  a->shape = arrayShape(elem);
  a->length = length;
  return a;
}

Array* Runtime::newString(std::string_view utf8) {
  Array* s = newArray(Elem::I8, static_cast<int64_t>(utf8.size()));
  if (!s) return nullptr;
  s->shape = stringShape_;
  std::memcpy(s->data<char>(), utf8.data(), utf8.size());
  return s;
}

std::string_view Runtime::messageFormat(VpMessage msg) { return kMessageFormats[static_cast<size_t>(msg)]; }
VpError Runtime::messageError(VpMessage msg) { return kMessageErrors[static_cast<size_t>(msg)]; }

std::string Runtime::describeObject(Object* o) {
  if (!o) return "null";
  return o->shape->isArray() ? "an array " + o->shape->name : "an object of shape " + o->shape->name;
}

std::string Runtime::stringText(Object* s) { return std::string(bytesOf(s).value_or("<not a string>")); }

void Runtime::raiseFormatted(Thread& t, VpMessage msg, std::string text) {
  VpError kind = messageError(msg);
  Object* exc = nullptr;
  if (errorFactory) {
    exc = errorFactory(t, kind, text);
  } else {
    exc = newObject(errorShape(kind));
    Object* message = exc ? newString(text) : nullptr;
    if (exc && message)
      slotsOf(exc)[0].ref = message;
    else
      exc = nullptr;
  }
  t.throwObject(exc ? exc : outOfMemory_);
}

} // namespace vvm::core
