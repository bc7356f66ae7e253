import Foundation
import Synchronization

/// One value per thread, made on a thread's first use and owned by this
/// object: a thread's value is released when the thread ends, and every
/// value still held is released when the `ThreadLocal` itself goes away (so
/// a database that is dropped closes the connection of every thread that
/// used it, which a bare `pthread_key_delete` would leak).
///
/// Why not Swift's `TaskLocal`: FastCGI workers are plain threads, not tasks,
/// and what they keep (a database connection, a formatted clock) must live
/// as long as the thread, not a task's scope.
///
/// - Warning: a value is used only by the thread that made it; it must not
///   be handed to another thread.
public final class ThreadLocal<Value: AnyObject>: Sendable {
    private let key: pthread_key_t
    private let registry = Registry()
    private let make: @Sendable () throws -> Value

    /// - Parameter make: makes the calling thread's value on its first use
    ///   (and again after ``drop()``); a throw leaves the slot empty.
    public init(_ make: @escaping @Sendable () throws -> Value) {
        var key = pthread_key_t()
        // The slot's destructor runs when a thread ends with a value in it.
        let created = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<Slot>.fromOpaque(pointer).takeUnretainedValue().release()
        }
        precondition(created == 0, "pthread_key_create failed (\(created)): out of thread-local keys")
        self.key = key
        self.make = make
    }

    deinit {
        // No thread's destructor runs for a deleted key; the registry
        // releases what is left, each value exactly once.
        pthread_key_delete(key)
        registry.releaseAll()
    }

    /// The calling thread's value, made on first use.
    public func value() throws -> Value {
        if let pointer = pthread_getspecific(key) {
            return unsafeDowncast(Unmanaged<Slot>.fromOpaque(pointer).takeUnretainedValue().value, to: Value.self)
        }
        let slot = Slot(value: try make(), registry: registry)
        registry.add(slot)
        pthread_setspecific(key, Unmanaged.passUnretained(slot).toOpaque())
        return unsafeDowncast(slot.value, to: Value.self)
    }

    /// The calling thread's value if it has one, without making it.
    public var existingValue: Value? {
        pthread_getspecific(key).map { unsafeDowncast(Unmanaged<Slot>.fromOpaque($0).takeUnretainedValue().value, to: Value.self) }
    }

    /// Releases the calling thread's value (a connection found broken); the
    /// next ``value()`` makes a new one.
    public func drop() {
        guard let pointer = pthread_getspecific(key) else { return }
        pthread_setspecific(key, nil)
        Unmanaged<Slot>.fromOpaque(pointer).takeUnretainedValue().release()
    }

    /// How many threads hold a value now (tests).
    public var count: Int { registry.count }
}

/// One thread's value. The registry holds the only strong reference; the
/// thread's slot points at it unretained. Not generic: the key's destructor
/// is a C function, which cannot know a generic parameter.
private final class Slot: @unchecked Sendable {
    // @unchecked: `value` is used by its own thread only; the registry
    // touches the slot under its mutex.
    let value: AnyObject
    let registry: Registry
    init(value: AnyObject, registry: Registry) {
        self.value = value
        self.registry = registry
    }
    /// Ends this slot: whichever of the thread's end and the owner's end
    /// comes first releases it.
    func release() { registry.remove(self) }
}

/// Every live slot, so whoever ends first (the thread or the owner)
/// releases each exactly once.
private final class Registry: Sendable {
    private let slots = Mutex<[ObjectIdentifier: Slot]>([:])
    var count: Int { slots.withLock { $0.count } }
    func add(_ slot: Slot) { slots.withLock { $0[ObjectIdentifier(slot)] = slot } }
    func remove(_ slot: Slot) {
        // Released outside the lock: a value's deinit may take locks of its own.
        let removed = slots.withLock { $0.removeValue(forKey: ObjectIdentifier(slot)) }
        _ = removed
    }
    func releaseAll() {
        let all = slots.withLock { slots in
            defer { slots.removeAll() }
            return slots
        }
        _ = all
    }
}
