#pragma once
// Completion: the target of a CQE. An object that issues io_uring operations embeds one
// Completion per kind of operation it can have in flight and binds it to a member function; the
// SQE's user_data is the Completion's address (TigerBeetle's intrusive completions, Seastar's
// kernel_completion). No allocation per operation.
//
// Lifetime rule: the owner must not be destroyed while any SQE naming one of its Completions can
// still produce a CQE. TcpStream, Acceptor and friends count their in-flight operations and only
// report "closed" when that count is zero.

#include <cstdint>

namespace ringcast::uring {

class Completion {
public:
    using Fn = void (*)(void* owner, std::int32_t res, std::uint32_t flags);

    Completion() = default;
    Completion(const Completion&) = delete;
    Completion& operator=(const Completion&) = delete;

    /// Binds to `owner->*Method(int32_t res, uint32_t cqe_flags)`.
    template <auto Method, class Owner>
    void bind(Owner* owner) {
        owner_ = owner;
        fn_ = [](void* self, std::int32_t res, std::uint32_t flags) { (static_cast<Owner*>(self)->*Method)(res, flags); };
    }

    void complete(std::int32_t res, std::uint32_t flags) { fn_(owner_, res, flags); }
    [[nodiscard]] std::uint64_t user_data() { return reinterpret_cast<std::uint64_t>(this); }
    static Completion* from_user_data(std::uint64_t data) { return reinterpret_cast<Completion*>(data); }

private:
    void* owner_ = nullptr;
    Fn fn_ = nullptr;
};

}  // namespace ringcast::uring
