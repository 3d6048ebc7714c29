"""DLPack export of a frame (the DLPack C ABI, v0.x as numpy 1.24 reads it), built with ctypes.

__dlpack__ returns a PyCapsule named "dltensor" holding a DLManagedTensor whose data pointer is the frame's payload
in shared memory, so np.from_dlpack(frame) (and other array libraries) wrap it without a copy. The importer calls
the deleter when its array dies; a capsule never consumed is released by its destructor. Either way the Python
objects the struct points into are kept in _live until then.
"""

import ctypes


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class _DLManagedTensor(ctypes.Structure):
    pass


_DELETER = ctypes.CFUNCTYPE(None, ctypes.POINTER(_DLManagedTensor))
_DLManagedTensor._fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _DELETER)]

_KDL_CPU = 1
_KDL_INT, _KDL_UINT, _KDL_FLOAT = 0, 1, 2
_CODES = {"i": _KDL_INT, "u": _KDL_UINT, "f": _KDL_FLOAT}

_CAPSULE_NAME = b"dltensor"  # must outlive every capsule: a module constant
_live = {}  # address of a DLManagedTensor -> what it points into


def _release(address):
    _live.pop(address, None)


@_DELETER
def _deleter(managed):
    _release(ctypes.cast(managed, ctypes.c_void_p).value)


_PyCapsule_New = ctypes.pythonapi.PyCapsule_New
_PyCapsule_New.restype = ctypes.py_object
_PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_PyCapsule_IsValid = ctypes.pythonapi.PyCapsule_IsValid
_PyCapsule_IsValid.restype = ctypes.c_int
# Raw pointers, not py_object: the destructor runs while the capsule is being freed (reference count 0), and a
# py_object conversion would revive and free it a second time.
_PyCapsule_IsValid.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_PyCapsule_GetPointer = ctypes.pythonapi.PyCapsule_GetPointer
_PyCapsule_GetPointer.restype = ctypes.c_void_p
_PyCapsule_GetPointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]

_DESTRUCTOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


@_DESTRUCTOR
def _destructor(capsule):
    # Still named "dltensor": nobody took ownership, so the deleter is ours to run. A consumer renames it.
    if _PyCapsule_IsValid(capsule, _CAPSULE_NAME):
        _release(_PyCapsule_GetPointer(capsule, _CAPSULE_NAME))


_DESTRUCTOR_ADDRESS = ctypes.cast(_destructor, ctypes.c_void_p).value


def to_capsule(frame):
    dtype = frame.dtype
    code = _CODES.get(dtype.kind)
    if code is None:
        # DLPack v0.x has a bool code (6) but numpy 1.24 rejects it; refuse rather than mislabel the data.
        raise BufferError(f"tensorpool: dtype {dtype} cannot be exported through DLPack")
    itemsize = dtype.itemsize
    shape = frame.shape
    strides = frame.strides
    if any(s % itemsize for s in strides):
        raise BufferError(f"tensorpool: byte strides {strides} are not multiples of the item size {itemsize}")
    n = len(shape)
    c_shape = (ctypes.c_int64 * max(n, 1))(*shape)
    c_strides = (ctypes.c_int64 * max(n, 1))(*(s // itemsize for s in strides))  # DLPack counts elements
    managed = _DLManagedTensor()
    t = managed.dl_tensor
    t.data = frame.address
    t.device = _DLDevice(_KDL_CPU, 0)
    t.ndim = n
    t.dtype = _DLDataType(code, itemsize * 8, 1)
    t.shape = c_shape
    t.strides = c_strides
    t.byte_offset = 0
    managed.deleter = _deleter
    address = ctypes.addressof(managed)
    # The consumer object stays referenced too: its mapping must outlive the importer's array.
    _live[address] = (managed, c_shape, c_strides, frame._consumer)
    return _PyCapsule_New(address, _CAPSULE_NAME, _DESTRUCTOR_ADDRESS)
