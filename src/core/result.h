#pragma once
// Result<T>: the std::expected subset we need (g++ 12 has std::expected only with -std=c++2b).
// The day we move to C++23 this becomes `template <class T> using Result = std::expected<T, Error>`.
// Errors never allocate: code + errno + a string literal naming where it happened.

#include <cerrno>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace ringcast::core {

enum class Errc : std::uint16_t {
    ok = 0,
    system,       // a syscall failed; sys_errno says why
    protocol,     // peer sent bytes that break the protocol
    too_large,    // a size bound was exceeded
    closed,       // peer closed the connection
    timeout,
    canceled,
    unsupported,  // the kernel or the build lacks a feature
    invalid,      // a bad argument or a bad config value
    full,         // a bounded queue or table is at its maximum
    not_found,
};

std::string_view errc_name(Errc code);

/// A small, copyable, non-allocating error. `where` must be a string literal (or otherwise
/// outlive every copy of the Error).
struct Error {
    Errc code = Errc::ok;
    int sys_errno = 0;
    const char* where = "";

    static Error from_errno(int err, const char* where_) { return {Errc::system, err, where_}; }
    static Error make(Errc code_, const char* where_) { return {code_, 0, where_}; }

    /// "where: code (strerror)" for log lines; formatted into a thread-local buffer.
    [[nodiscard]] std::string_view describe() const;
};
static_assert(sizeof(Error) <= 16);

struct Unexpected {
    Error error;
};
inline Unexpected fail(Error e) { return Unexpected{e}; }
inline Unexpected fail(Errc code, const char* where) { return Unexpected{Error::make(code, where)}; }
inline Unexpected fail_errno(int err, const char* where) { return Unexpected{Error::from_errno(err, where)}; }

template <class T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    Result()
        requires std::is_default_constructible_v<T>
        : state_(std::in_place_index<0>) {}
    template <class U = T>
        requires std::is_constructible_v<T, U&&> && (!std::is_same_v<std::remove_cvref_t<U>, Result>) &&
                 (!std::is_same_v<std::remove_cvref_t<U>, Unexpected>)
    Result(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}
    Result(Unexpected u) : state_(std::in_place_index<1>, u.error) {}

    [[nodiscard]] bool has_value() const { return state_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }
    [[nodiscard]] const Error& error() const { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    using value_type = void;
    Result() = default;
    Result(Unexpected u) : error_(u.error), ok_(false) {}

    [[nodiscard]] bool has_value() const { return ok_; }
    explicit operator bool() const { return ok_; }
    void value() const {}
    [[nodiscard]] const Error& error() const { return error_; }

private:
    Error error_{};
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace ringcast::core

// Propagate an error to the caller; evaluates to the value on success (GNU statement expression,
// supported by g++ and clang).
#define RINGCAST_TRY(expr)                                                    \
    ({                                                                        \
        auto&& ringcast_try_result_ = (expr);                                 \
        if (!ringcast_try_result_) {                                          \
            return ::ringcast::core::Unexpected{ringcast_try_result_.error()}; \
        }                                                                     \
        std::move(ringcast_try_result_).value();                              \
    })
