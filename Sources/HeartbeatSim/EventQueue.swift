import HeartbeatCore

/// A binary min-heap of timed items. Items due at the same instant come out in the order they
/// were pushed (`order` is a push counter), so a run depends only on its seed. The heap moves
/// small keys only; the items (messages, script runs) wait in `slots` until popped.
struct EventQueue<Item> {
    struct Key {
        var time: Instant
        var order: UInt64
        var slot: Int

        func precedes(_ other: Key) -> Bool {
            time != other.time ? time < other.time : order < other.order
        }
    }

    private var heap: [Key] = []
    private var slots: [Item?] = []
    private var freeSlots: [Int] = []
    private var pushed: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: Instant? { heap.first?.time }

    mutating func push(_ item: Item, at time: Instant) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = item
        } else {
            slot = slots.count
            slots.append(item)
        }
        heap.append(Key(time: time, order: pushed, slot: slot))
        pushed += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: Instant, item: Item)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < heap.count, heap[left].precedes(heap[first]) { first = left }
            if right < heap.count, heap[right].precedes(heap[first]) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
        let item = slots[top.slot].take()!
        freeSlots.append(top.slot)
        return (top.time, item)
    }
}
