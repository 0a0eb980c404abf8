// The unix port's stand-in for a board's ROMFS partition: unixrom.map(path) maps a ROMFS image
// file read-only into memory outside the GC heap, as a board memory-maps its flash, and returns
// it as a memoryview for vfs.VfsRom. The mapping lasts as long as the process, like the flash.
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "py/objarray.h"
#include "py/runtime.h"

static mp_obj_t unixrom_map(mp_obj_t path_in) {
    int fd = open(mp_obj_str_get_str(path_in), O_RDONLY);
    if (fd < 0) {
        mp_raise_OSError(errno);
    }
    errno = 0;
    struct stat st;
    void *data = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    }
    int err = errno ? errno : EINVAL;
    close(fd);
    if (data == MAP_FAILED) {
        mp_raise_OSError(err);
    }
    return mp_obj_new_memoryview('B', st.st_size, data);
}
static MP_DEFINE_CONST_FUN_OBJ_1(unixrom_map_obj, unixrom_map);

static const mp_rom_map_elem_t unixrom_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_unixrom) },
    { MP_ROM_QSTR(MP_QSTR_map), MP_ROM_PTR(&unixrom_map_obj) },
};
static MP_DEFINE_CONST_DICT(unixrom_globals, unixrom_globals_table);

const mp_obj_module_t unixrom_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&unixrom_globals,
};

MP_REGISTER_MODULE(MP_QSTR_unixrom, unixrom_module);
